"""The web server killed with SIGKILL in the middle of a write: nothing half-stored, and the person can retry.

gunicorn (one sync worker) serves the prepared demo; a person signs in and
imports a large workbook (下载的协作章程, enlarged to thousands of tasks),
or issues minutes of thousands of items (发出纪要). The worker process
serving the request is killed while the request is inside its transaction:

- SQLite: the database's write lock is held by the request, and still held
  a moment later (the import's or the issue's one transaction);
- PostgreSQL: the request's transaction has written rows (it has a
  transaction id), and for the minutes it then waits for the collaboration's
  row, which the test holds locked, so the kill lands after the revision
  was written and before the commit.

Then every table has exactly its rows of before, the browser got no answer,
gunicorn's master has started a new worker, and the same request sent
again gives the complete result: for the import, the same rows a further,
uninterrupted import of the same workbook adds; for the minutes, one
revision holding every item.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import openpyxl

from tests.crash.stack import MINUTES_ITEMS, Browser, Database, Web, wait_for, web
from tests.running import ADMIN_PASSWORD

TASK_ROWS = 4800  # the import's one transaction then lasts about a second
HELD = 0.3  # seconds the transaction must still be open after it was first seen
VOLATILE = {"django_session"}  # written by the sign-in and the upload itself


def counts(database: Database) -> dict[str, int]:
    return {table: n for table, n in database.counts().items() if table not in VOLATILE}


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {table: after[table] - before[table] for table in after if after[table] != before[table]}


def inside(database: Database) -> Callable[[], bool]:
    """Whether a request is inside its write transaction, and still is ``HELD`` seconds later."""

    def check() -> bool:
        if not database.writing():
            return False
        time.sleep(HELD)
        return database.writing()

    return check


def killed_during(server: Web, request: Callable[[], Any], ready: Callable[[], bool]) -> BaseException:
    """Send ``request`` in a thread, kill the process serving it once ``ready``; return what the client got."""
    outcome: list[Any] = []

    def send() -> None:
        try:
            outcome.append(request())
        except Exception as error:  # the connection dropped: what a browser sees
            outcome.append(error)

    serving = server.worker()
    thread = threading.Thread(target=send)
    thread.start()
    try:
        wait_for(ready, 60, "the request inside its transaction", 0.01, server.tail)
    finally:
        os.kill(serving, signal.SIGKILL)
        thread.join(30)
    assert outcome and isinstance(outcome[0], BaseException), f"the request was answered: {outcome}"
    # gunicorn's master replaces the worker; the site answers again.
    wait_for(
        lambda: server.workers() not in ([], [serving]) and server.answers(),
        60,
        "a new web worker",
        0.2,
        server.tail,
    )
    return outcome[0]


def big_workbook(browser: Browser) -> bytes:
    """The demo's charter as the product exports it, renamed, with TASK_ROWS more tasks."""
    status, _body, _location = browser.get("/c/demo/export/charter.xlsx")
    assert status == 200
    book = openpyxl.load_workbook(io.BytesIO(browser.last_bytes))
    tasks = book["部门职责分工表"]
    rows = [list(row) for row in tasks.iter_rows(min_row=2, values_only=True) if row[0]]
    for n in range(TASK_ROWS):
        row = list(rows[n % len(rows)])
        row[0] = f"{row[0]}(批次 {n})"
        tasks.append(row)
    book["协作信息"]["B1"] = "崩溃测试导入"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(browser: Browser, workbook: bytes) -> dict[str, str]:
    """Upload the workbook; return the confirmation form the preview offers (import all rows)."""
    status, body, _location = browser.post("/import/", {}, ("big.xlsx", workbook))
    assert status == 200, body[:2000]
    token = re.search(r'name="token" value="([^"]+)"', body)
    assert token, body[:3000]
    return {"token": token.group(1), "choice": "all"}


def test_a_web_server_killed_during_a_workbook_import_stores_nothing_and_the_import_can_be_retried(
    database: Database, tmp_path: Any
) -> None:
    with web(database, tmp_path) as server:
        browser = Browser(server.base)
        browser.sign_in("admin", ADMIN_PASSWORD)
        workbook = big_workbook(browser)
        confirm = upload(browser, workbook)
        before = counts(database)

        killed_during(server, lambda: browser.post("/import/confirm/", confirm), inside(database))
        assert counts(database) == before, changed(before, counts(database))

        # The same confirmation again (the staged upload is still there): the whole import.
        status, body, location = browser.post("/import/confirm/", confirm)
        assert status == 302 and location.startswith("/c/"), (status, body[:2000])
        retried = counts(database)
        # A further import of the same workbook, never interrupted, adds exactly as much.
        status, body, _location = browser.post("/import/confirm/", upload(browser, workbook))
        assert status == 302, body[:2000]
        again = counts(database)
    added = changed(before, retried)
    assert added == changed(retried, again), (added, changed(retried, again))
    assert added["collabs_collaboration"] == 1 and added["collabs_task"] >= TASK_ROWS, added


def _revisions(database: Database, meeting: int) -> list[dict[str, Any]]:
    found = database.rows("SELECT content FROM meetings_minutesrevision WHERE meeting_id = ?", (meeting,))
    return [content if isinstance(content, dict) else json.loads(content) for (content,) in found]


def test_a_web_server_killed_while_minutes_are_issued_stores_nothing_and_the_issue_can_be_retried(
    database: Database, tmp_path: Any
) -> None:
    ((meeting, collab),) = database.rows(
        "SELECT m.id, m.collaboration_id FROM meetings_meeting AS m WHERE m.minutes_issued_at IS NULL "
        "AND (SELECT COUNT(*) FROM meetings_minutesitem AS i WHERE i.meeting_id = m.id) = ?",
        (MINUTES_ITEMS,),
    )
    issue = f"/c/demo/meetings/{meeting}/minutes/issue/"
    with web(database, tmp_path) as server:
        browser = Browser(server.base)
        browser.sign_in("admin", ADMIN_PASSWORD)
        before = counts(database)
        assert _revisions(database, meeting) == []

        if database.kind == "postgresql":
            # Hold the collaboration's row: the issue writes the meeting and the revision, then
            # waits to bump the collaboration's version, and is killed waiting.
            with database.connect() as held, held.transaction():
                held.execute("SELECT id FROM collabs_collaboration WHERE id = %s FOR UPDATE", (collab,))
                killed_during(
                    server, lambda: browser.post(issue, {"confirm": "1"}), database.waiting_for_lock
                )
        else:
            # SQLite has no row lock to hold the request at, and the issue's transaction takes a
            # fraction of a second on a quiet machine: a trigger on the revision's insert keeps it
            # busy for seconds (counting a cross join), so the kill lands inside it on any machine.
            database.rows(
                "CREATE TRIGGER slow_issue AFTER INSERT ON meetings_minutesrevision BEGIN "
                "SELECT count(*) FROM meetings_minutesitem AS a, meetings_minutesitem AS b; END"
            )
            killed_during(server, lambda: browser.post(issue, {"confirm": "1"}), inside(database))
        wait_for(lambda: not database.writing(), 30, "the killed transaction to end")
        if database.kind == "sqlite":
            database.rows("DROP TRIGGER slow_issue")
        assert counts(database) == before, changed(before, counts(database))
        assert _revisions(database, meeting) == []

        status, body, _location = browser.post(issue, {"confirm": "1"})  # the person tries again
        assert status == 302, body[:2000]
        after = counts(database)
    assert changed(before, after) == {"meetings_minutesrevision": 1, "audit_auditentry": 1}, changed(
        before, after
    )
    (revision,) = _revisions(database, meeting)
    assert len(revision["items"]) == MINUTES_ITEMS
