"""Every object of a collaboration is fetched through the access layer (issue 17).

``xietong.collabs.access`` is the one place that decides 404 (no such object,
or one the person may not see) and 403 (may see, may not act). A view or an
endpoint that fetches a collaboration's row by its id itself
(``get_object_or_404``, ``Task.objects.filter(pk=…)``) bypasses that
decision, so this test reads the source of every view and API module and
refuses such fetches, except those listed in ``EXCEPTIONS`` with a reason.
The URL conf and the API's routes are walked too, so that a view module
outside the scanned files is noticed rather than silently skipped.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import xietong
from tests.api.conftest import as_person
from tests.helpers import owner_of, signed_in
from xietong.api.api import api
from xietong.collabs.models import Collaboration, DeadlineKind, SubGoal, Task
from xietong.meetings.models import Meeting

ROOT = Path(xietong.__file__).resolve().parent
# The fetchers of Django's shortcuts: each decides 404 by itself.
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}
# Query methods that fetch rows, and the keywords that name one row.
FETCHES = {"get", "filter", "in_bulk", "get_or_create", "update_or_create"}
ROW_KEYWORDS = {"pk", "id", "slug"}

# "<path relative to xietong/>" or "<path>::<function>": why that fetch is not the access layer's.
EXCEPTIONS: dict[str, str] = {
    "orgs/views.py": "organisation objects (departments, people), not a collaboration's: staff decide",
    "api/org.py": "organisation objects (departments, people), not a collaboration's: staff decide",
    "orgs/people_views.py": "organisation objects (people), not a collaboration's: staff decide",
    "notify/views.py::failed_resend": "staff page of every failed delivery, across collaborations",
    "notify/views.py::mark_read": "the person's own notification (their inbox, scoped by recipient)",
    "api/notifications.py::read_one": "the caller's own notification (their inbox, scoped by recipient)",
}


@dataclass(frozen=True)
class Fetch:
    """One hand-written fetch: where it is and what it says."""

    path: str
    function: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"xietong/{self.path}:{self.line} in {self.function}(): {self.code}"

    def excepted(self) -> bool:
        return self.path in EXCEPTIONS or f"{self.path}::{self.function}" in EXCEPTIONS


def _owned(model: type[Model]) -> bool:
    return any(f.name == "collaboration" for f in model._meta.get_fields())


def collaboration_models() -> set[str]:
    """Return the names of a collaboration's models.

    Collaboration, the models with a ``collaboration`` field, and those one
    foreign key further (an agenda item → its meeting, a delivery → its notification).
    """
    owned = {m for m in apps.get_models() if _owned(m)}
    further = {
        m
        for m in apps.get_models()
        for f in m._meta.get_fields()
        if f.concrete and f.is_relation and f.many_to_one and f.related_model in owned
    }
    return {"Collaboration"} | {m.__name__ for m in owned | further}


def scanned_files() -> list[Path]:
    """Return the view and API modules: *views*.py, views/*.py and api/*.py under xietong/."""
    found = {*ROOT.glob("**/*views*.py"), *ROOT.glob("**/views/*.py"), *(ROOT / "api").glob("*.py")}
    return sorted(p for p in found if "migrations" not in p.parts)


def _model_of(node: ast.expr) -> str | None:
    """Return ``M`` when ``node`` is a query chain that starts at ``M.objects``, else None.

    None too for a chain that starts elsewhere (``_risks().filter(…)``, ``rows.get(…)``).
    """
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr == "objects" and isinstance(node.value, ast.Name):
                return node.value.id
            node = node.value
        else:
            return None


def _names_a_row(call: ast.Call) -> bool:
    return any(
        k.arg is not None and (k.arg in ROW_KEYWORDS or k.arg.split("__")[0] in {"pk", "id"})
        for k in call.keywords
    )


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str, source: str, models: set[str]) -> None:
        self.path, self.source, self.models = path, source, models
        self.function = "<module>"
        self.found: list[Fetch] = []

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.function
        if outer == "<module>":  # name the module-level function (its nested ones belong to it)
            self.function = node.name
        self.generic_visit(node)
        self.function = outer

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        fetches = name in SHORTCUTS
        if isinstance(func, ast.Attribute) and name in FETCHES:
            model = _model_of(func.value)
            if model is None:  # a queryset built elsewhere (``_risks()``): of a collaboration, maybe
                fetches = _names_a_row(node)
            elif model in self.models:
                fetches = name == "get" or _names_a_row(node)
        if fetches:
            code = ast.get_source_segment(self.source, node) or name
            self.found.append(Fetch(self.path, self.function, node.lineno, " ".join(code.split())))
        self.generic_visit(node)


def hand_written_fetches(path: Path, models: set[str]) -> list[Fetch]:
    """Return the fetches of a collaboration's rows in ``path`` that bypass the access layer."""
    source = path.read_text(encoding="utf-8")
    finder = _Finder(path.relative_to(ROOT).as_posix(), source, models)
    finder.visit(ast.parse(source))
    return finder.found


def _url_views(patterns: list[Any]) -> Iterator[Callable[..., Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _url_views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield entry.callback


def view_functions() -> list[Callable[..., Any]]:
    """Return every view of the URL conf and every operation of the ninja API."""
    views = list(_url_views(get_resolver().url_patterns))
    for _prefix, router in api._routers:  # every router, nested ones too, once the URL conf is loaded
        for path_view in router.path_operations.values():
            views.extend(op.view_func for op in path_view.operations)
    return views


def _source_file(view: Callable[..., Any]) -> Path | None:
    target = inspect.unwrap(getattr(view, "view_class", view))
    try:
        source = inspect.getsourcefile(target)
    except TypeError:  # a builtin or a callable instance
        source = inspect.getsourcefile(type(target))
    return Path(source).resolve() if source else None


def test_no_view_or_endpoint_fetches_a_collaborations_row_itself() -> None:
    models = collaboration_models()
    found = [f for path in scanned_files() for f in hand_written_fetches(path, models) if not f.excepted()]
    assert not found, (
        "fetch these through xietong.collabs.access (get_object_for_user, get_object_in, get_part_of, "
        "reread …) or list them in EXCEPTIONS with the reason:\n" + "\n".join(map(str, found))
    )


def test_every_exception_is_still_needed() -> None:
    models = collaboration_models()
    found = [f for path in scanned_files() for f in hand_written_fetches(path, models)]
    used = {f.path for f in found} | {f"{f.path}::{f.function}" for f in found}
    assert not set(EXCEPTIONS) - used, "no such fetch any more: remove it from EXCEPTIONS"


def test_every_view_and_endpoint_lives_in_a_scanned_module() -> None:
    scanned = set(scanned_files())
    outside = {
        str(source.relative_to(ROOT))
        for view in view_functions()
        if (source := _source_file(view)) is not None
        and source.is_relative_to(ROOT)
        and source not in scanned
    }
    assert not outside, f"views outside *views*.py, views/*.py, api/*.py are not checked: {sorted(outside)}"


def test_the_api_and_the_url_conf_are_walked() -> None:
    """The walk finds the views it checks: pages and endpoints of a collaboration."""
    files = {_source_file(view) for view in view_functions()}
    assert ROOT / "api" / "tasks.py" in files
    assert ROOT / "meetings" / "views" / "meeting.py" in files


@pytest.mark.parametrize(
    "line",
    [
        "get_object_or_404(Task, pk=pk)",
        "Task.objects.filter(collaboration=collab, pk=pk).first()",
        "Meeting.objects.select_related('chair').filter(pk=pk).first()",
        "Risk.objects.get(pk=pk)",
        "Collaboration.objects.filter(slug=slug).first()",
    ],
)
def test_a_new_hand_written_fetcher_is_found(tmp_path: Path, line: str) -> None:
    """The check is not vacuous: a fetcher added to a view module is reported."""
    module = tmp_path / "views.py"
    module.write_text(f"def page(request, slug, pk):\n    return {line}\n", encoding="utf-8")
    finder = _Finder("views.py", module.read_text(encoding="utf-8"), collaboration_models())
    finder.visit(ast.parse(module.read_text(encoding="utf-8")))
    assert [(f.function, f.line) for f in finder.found] == [("page", 2)]


def test_fetches_through_the_access_layer_are_not_reported(tmp_path: Path) -> None:
    source = (
        "def page(request, slug, pk):\n"
        "    ws = open_workspace(request, slug)\n"
        "    return get_object_in(ws.collab, Task.objects.select_related('department'), pk)\n"
    )
    finder = _Finder("views.py", source, collaboration_models())
    finder.visit(ast.parse(source))
    assert finder.found == []


@pytest.mark.django_db
def test_a_row_of_another_collaboration_is_not_found_under_this_ones_url(demo: Collaboration) -> None:
    """The table's row URLs name the collaboration: another's task id there is 404, even for its initiator."""
    client = signed_in(owner_of(demo))  # the initiator of both
    other = Collaboration.objects.create(title="别的协作", slug="other", owner=owner_of(demo))
    task = Task.objects.filter(collaboration=demo).order_by("position").last()
    assert task is not None
    seen = (task.position, task.description, task.version)
    htmx = {"HTTP_HX_REQUEST": "true"}
    requests = [
        ("get", "collabs:task", {}, {}),
        ("get", "collabs:task_edit", {}, htmx),
        ("post", "collabs:task_edit", {f"t{task.pk}-description": "改写"}, {}),
        ("get", "collabs:task_delete", {}, {}),
        ("post", "collabs:task_delete", {"confirm": "1"}, {}),
        ("post", "collabs:task_move", {"direction": "up"}, {}),
    ]
    for method, name, data, headers in requests:
        response = getattr(client, method)(reverse(name, args=[other.slug, task.pk]), data, **headers)
        assert response.status_code == 404, (method, name)
    current = Task.objects.get(pk=task.pk)
    assert (current.position, current.description, current.version) == seen
    # Under its own collaboration's URL the same person reaches the row.
    for method, name, _data, headers in requests[:2] + requests[3:4]:
        assert getattr(client, method)(reverse(name, args=[demo.slug, task.pk]), **headers).status_code == 200


@pytest.mark.django_db
def test_a_body_naming_another_collaborations_row_is_422(demo: Collaboration) -> None:
    """An id in a body (an issue's meeting, an SLA request's sub-goal) is looked up in the URL's collaboration.

    Another collaboration's row there is a field error (422 at its path), not a 404 and not accepted.
    """
    api_client = as_person(owner_of(demo))  # the initiator of both
    other = Collaboration.objects.create(title="别的协作", slug="other", owner=owner_of(demo))
    meeting = Meeting.objects.filter(collaboration=demo).first()
    subgoal = SubGoal.objects.filter(collaboration=demo, deadline_kind=DeadlineKind.SLA).first()
    assert meeting is not None and subgoal is not None
    issue = {"title": "工单字段不全", "decided_in": meeting.pk}
    request = {"subgoal": subgoal.pk, "requester": "售后部", "subject": "投诉 #1024 的技术结论"}
    for url, body, field in [
        (f"/api/collaborations/{other.slug}/issues", issue, "body.decided_in"),
        (f"/api/collaborations/{other.slug}/sla-requests", request, "body.subgoal"),
    ]:
        refused = api_client.post(url, body)
        assert (refused.status_code, refused.json()["path"]) == (422, field)
    # The same ids under their own collaboration are accepted.
    assert api_client.post(f"/api/collaborations/{demo.slug}/issues", issue).status_code == 201
