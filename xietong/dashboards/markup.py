"""The dashboard's longest markup, written in Python: the timeline's data table (a row per task).

A collaboration of 5,000 tasks has 5,000 rows here; as a template loop each
row costs six escapes through markupsafe, as an f-string three through
``html.escape`` (what Django's own ``escape`` does), about a quarter of the
time. The markup is the one the Django template had
(``tests/test_dashboard_fast.py`` holds them equal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from django.utils.safestring import SafeString, mark_safe


def timeline_rows(rows: Iterable[Mapping[str, str]]) -> SafeString:
    """Return the ``<tr>`` of each timeline row (``data.timeline``'s "rows").

    ``start`` and ``deadline`` are ISO days and ``state`` one of
    ``data.STATES``: made by ``data.timeline``, never by a person, so they
    need no escaping; the task's text, its department and the state's name
    do.
    """
    return mark_safe(
        "".join(
            f'<tr><th scope="row">{escape(row["task"])}</th><td>{escape(row["department"])}</td>'
            f'<td class="nowrap">{row["start"]}</td><td class="nowrap">{row["deadline"]}</td>'
            f'<td class="nowrap"><span class="swatch swatch-{row["state"]}" aria-hidden="true"></span>'
            f"{escape(row['state_name'])}</td></tr>"
            for row in rows
        )
    )
