"""Filters and sorting of the responsibility table, read from and written to the URL's query string.

``TableFilter.parse`` takes whatever a query string holds and keeps only
what is meaningful: an unknown status, a department that does not take part,
a person id that holds no row, a sort key the table does not know are
dropped (never a 500), and a huge query is capped before it is read. What
remains is written back by ``query`` in one canonical order, which is what a
saved view (``collabs.SavedView``) stores and what the cache key of the
table's rows includes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import QueryDict

from xietong.collabs.models import Task, TaskStatus, overdue_filter

# More than this many characters of query string are not read (a crafted URL cannot make work).
QUERY_LIMIT = 2000
# More than this many values of one key are ignored (the table has at most this many departments to pick).
VALUES_LIMIT = 50
# What ``assignee`` names besides a person's id: rows without one.
NOBODY = "none"
SORTS = {
    "position": ("position", "id"),
    "deadline": ("deadline", "position", "id"),
    "-deadline": ("-deadline", "position", "id"),
    "department": ("department__name", "position", "id"),
    "status": ("status", "position", "id"),
}
DEFAULT_SORT = "position"


def _ids(values: Iterable[str], allowed: Iterable[int]) -> tuple[int, ...]:
    known = set(allowed)
    found = {int(v) for v in values if v.isdigit() and len(v) <= 18 and int(v) in known}
    return tuple(sorted(found))


@dataclass(frozen=True)
class TableFilter:
    departments: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    overdue: bool = False
    # Person ids; ``nobody``: rows without an assignee as well.
    assignees: tuple[int, ...] = ()
    nobody: bool = False
    sort: str = DEFAULT_SORT

    @classmethod
    def parse(
        cls,
        query: Mapping[str, list[str]],
        *,
        departments: Iterable[int],
        assignees: Iterable[int],
    ) -> TableFilter:
        """Return the filter ``query`` (a QueryDict's lists) names among the ``departments`` and ``assignees``."""

        def values(key: str) -> list[str]:
            return [v.strip() for v in list(query.get(key, []))[:VALUES_LIMIT]]

        statuses = {v for v in values("status") if v in TaskStatus.values}
        sort = next(iter(values("sort")), DEFAULT_SORT)
        return cls(
            departments=_ids(values("department"), departments),
            statuses=tuple(s for s in TaskStatus.values if s in statuses),
            overdue=any(v in ("1", "on", "true") for v in values("overdue")),
            assignees=_ids(values("assignee"), assignees),
            nobody=NOBODY in values("assignee"),
            sort=sort if sort in SORTS else DEFAULT_SORT,
        )

    @classmethod
    def from_query_string(
        cls, text: str, *, departments: Iterable[int], assignees: Iterable[int]
    ) -> TableFilter:
        """Parse a raw query string (at most ``QUERY_LIMIT`` characters are read)."""
        parsed = QueryDict(text[:QUERY_LIMIT])
        return cls.parse({k: parsed.getlist(k) for k in parsed}, departments=departments, assignees=assignees)

    @property
    def active(self) -> bool:
        """Whether any row is filtered out (the sort alone filters nothing)."""
        return bool(self.departments or self.statuses or self.overdue or self.assignees or self.nobody)

    def query(self) -> str:
        """The canonical query string (without ``?``): empty for the whole table in its order."""
        pairs: list[tuple[str, str | int]] = [("department", d) for d in self.departments]
        pairs += [("status", s) for s in self.statuses]
        if self.overdue:
            pairs.append(("overdue", "1"))
        pairs += [("assignee", a) for a in self.assignees]
        if self.nobody:
            pairs.append(("assignee", NOBODY))
        if self.sort != DEFAULT_SORT:
            pairs.append(("sort", self.sort))
        return urlencode(pairs)

    @property
    def key(self) -> str:
        """A short key of the filter, for the cache key of the rows it shows."""
        return hashlib.sha256(self.query().encode()).hexdigest()[:16]

    def apply(self, rows: QuerySet[Task], today: date) -> QuerySet[Task]:
        """Return ``rows`` filtered and ordered."""
        if self.departments:
            rows = rows.filter(department_id__in=self.departments)
        if self.statuses:
            rows = rows.filter(status__in=self.statuses)
        if self.overdue:
            rows = rows.filter(overdue_filter(today))
        if self.assignees or self.nobody:
            who = Q(assignee_id__in=self.assignees) if self.assignees else Q(pk__in=[])
            rows = rows.filter(who | Q(assignee__isnull=True) if self.nobody else who)
        return rows.order_by(*SORTS[self.sort])
