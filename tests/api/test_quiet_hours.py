"""Quiet hours over the API: the schema and the values agree (issue 15, point 9).

``quiet_from`` / ``quiet_until`` are wall-clock times of the site. The spec
said ``format: time`` (RFC 3339: an offset is required) while the answers
were ``"04:27:26"``, and an offset sent in was silently dropped. Now the
spec gives a pattern, answers match it, and an offset is refused.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import pytest

from tests.api.conftest import as_person, person
from xietong.api.api import api as ninja_api
from xietong.notify.models import Preference

PATH = "/api/me/notification-preferences"


def spec_of(schema: str, field: str) -> dict[str, Any]:
    spec = ninja_api.get_openapi_schema(path_prefix="/api/")
    prop = spec["components"]["schemas"][schema]["properties"][field]
    (text,) = [option for option in prop["anyOf"] if option.get("type") == "string"]
    return dict(text)


def test_the_spec_describes_local_times_without_format_time() -> None:
    for schema in ("PreferenceIn", "PreferenceOut"):
        for field in ("quiet_from", "quiet_until"):
            text = spec_of(schema, field)
            assert "format" not in text
            assert "pattern" in text


@pytest.mark.django_db
def test_answers_match_the_spec() -> None:
    caller = person("wang")
    # a value stored with seconds and microseconds (the admin or an old client) is answered to the second
    Preference.objects.create(person=caller, quiet_from=time(4, 27, 26, 123456), quiet_until=time(7, 0))
    answer = as_person(caller).get(PATH).json()
    pattern = spec_of("PreferenceOut", "quiet_from")["pattern"]
    assert answer["quiet_from"] == "04:27:26" and answer["quiet_until"] == "07:00:00"
    assert re.fullmatch(pattern, answer["quiet_from"]) and re.fullmatch(pattern, answer["quiet_until"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sent", ["22:00+08:00", "22:00:00Z", "22:00:00-05:00", "22:00:00.5", "24:00", 79200, "10pm"]
)
def test_an_offset_or_anything_but_a_local_time_is_refused(sent: Any) -> None:
    caller = person("wang")
    answer = as_person(caller).put(PATH, {"quiet_from": sent, "quiet_until": "07:00"})
    assert answer.status_code == 422
    assert answer.json()["path"] == "body.quiet_from"
    assert not Preference.objects.filter(person=caller).exists()


@pytest.mark.django_db
def test_local_times_are_stored_as_written() -> None:
    caller = person("wang")
    answer = as_person(caller).put(PATH, {"quiet_from": "22:30", "quiet_until": "07:15:30"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["quiet_from"] == "22:30:00" and answer.json()["quiet_until"] == "07:15:30"
    stored = Preference.objects.get(person=caller)
    assert stored.quiet_from == time(22, 30) and stored.quiet_until == time(7, 15, 30)
