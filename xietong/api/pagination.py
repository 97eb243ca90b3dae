"""Pages of a list: ``?limit=`` (default 50, at most 500) and ``?offset=``; ``{"items", "count"}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

Present = Callable[[list[Any]], Sequence[Any]]


class Pages(LimitOffsetPagination):
    """Limit/offset pages whose items may be turned into their output in one go.

    ``present`` receives the page's rows and returns what to answer: a list
    page that needs more than its rows (collaborations and their health
    scores) reads it for the whole page at once, never row by row.
    """

    class Input(Schema):
        limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page (at most 500)")
        offset: int = Field(0, ge=0, le=2**31, description="Items to skip")

    def __init__(self, *, present: Present | None = None, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_PAGE_SIZE, **kwargs)
        self.present = present

    def paginate_queryset(
        self,
        queryset: QuerySet[Any],
        pagination: Any,
        request: HttpRequest,
        **params: Any,
    ) -> dict[str, Any]:
        offset = pagination.offset
        limit = min(pagination.limit, self.max_limit)
        rows = list(queryset[offset : offset + limit])
        return {
            "items": self.present(rows) if self.present is not None else rows,
            "count": self._items_count(queryset),
        }
