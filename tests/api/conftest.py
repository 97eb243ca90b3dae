"""The API's fixtures: clients that call as the cast (tests/conftest.py), with a personal token."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.helpers import Cast, person
from xietong.api.actions import do_issue_token
from xietong.orgs.models import Person

__all__ = ["ApiClient", "Cast", "as_person", "person", "token_for"]


def token_for(person: Person, name: str = "tests") -> str:
    return do_issue_token(person, name).secret


class ApiClient:
    """Calls the API with a personal token (or none), JSON in and out."""

    def __init__(self, token: str | None = None, **headers: str) -> None:
        self.client = Client()
        self.headers = dict(headers)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["data"] = body
            kwargs["content_type"] = "application/json"
        if params:
            kwargs["query_params"] = params
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("post", path, body if body is not None else {})

    def put(self, path: str, body: Any) -> Any:
        return self._call("put", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self._call("patch", path, body)

    def delete(self, path: str, **params: Any) -> Any:
        return self._call("delete", path, **params)


def as_person(person: Person) -> ApiClient:
    return ApiClient(token_for(person))


@pytest.fixture
def initiator_api(cast: Cast) -> ApiClient:
    return as_person(cast.initiator)
