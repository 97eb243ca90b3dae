"""Calendar files: every .ics parses with ``icalendar`` and expands to the right occurrences.

Expansion uses ``recurring-ical-events`` (RRULE, EXDATE and RECURRENCE-ID
overrides, as calendar apps apply them), across the 2024 Mid-Autumn and
National Day holidays.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar, Event

from tests.conftest import make_person
from tests.helpers import TZ, owner, signed_in
from tests.test_views import charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Goal, Membership, Participant
from xietong.lib.schedule import KEEP, POSTPONE, SKIP, occurrences
from xietong.meetings.actions.feeds import do_open_calendar_feed
from xietong.meetings.actions.occurrences import do_open_occurrence, series_occurrences, series_window
from xietong.meetings.calendar import (
    Invitee,
    MeetingEntry,
    SeriesEntry,
    build_calendar,
    invitation_calendar,
    meeting_event,
    series_events,
)
from xietong.meetings.feeds import feed_token
from xietong.meetings.models import AgendaItem, CommunicationRule, Meeting, MeetingKind
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
STAMP = datetime(2024, 8, 12, 12, 0, tzinfo=TZ)
WEEKLY = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0"
# The Mondays of September and October 2024, as held with each holiday policy:
# Mid-Autumn (16 September) and National Day (7 October) fall on Mondays.
MONDAYS = [date(2024, 9, 2) + timedelta(weeks=i) for i in range(9)]
POSTPONED = [
    date(2024, 9, 2),
    date(2024, 9, 9),
    date(2024, 9, 18),
    date(2024, 9, 23),
    date(2024, 9, 30),
    date(2024, 10, 8),
    date(2024, 10, 14),
    date(2024, 10, 21),
    date(2024, 10, 28),
]
SKIPPED = [d for d in MONDAYS if d not in (date(2024, 9, 16), date(2024, 10, 7))]


def ten(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=TZ)


def parse(body: bytes) -> Calendar:
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["PRODID"]
    assert calendar["X-WR-TIMEZONE"] == "Asia/Shanghai"
    return calendar


def expand(calendar: Calendar, start: date, end: date) -> list[Event]:
    found: list[Event] = recurring_ical_events.of(calendar).between(start, end)
    return sorted(found, key=lambda e: e.start if isinstance(e.start, datetime) else ten(e.start))


def starts(events: list[Event]) -> list[datetime | date]:
    return [e.start for e in events]


def weekly_series(policy: str, rrule: str = WEEKLY, **extra: object) -> SeriesEntry:
    until = datetime.combine(date(2024, 10, 31), time.max, tzinfo=TZ)
    found = occurrences(rrule, datetime(2024, 9, 1, 9, tzinfo=TZ), until, policy)
    return SeriesEntry(
        uid="series-1@xietong.test",
        summary="周例会 · 客户投诉快速响应",
        rrule=rrule,
        occurrences=tuple(found),
        until=until,
        minutes=90,
        location="三楼会议室",
        url="https://xietong.test/c/demo/communication/#rule-1",
        organizer=Invitee("王经理", "wang@example.com"),
        attendees=(Invitee("李工", "li@example.com"), Invitee("赵总监")),
        sequence=7,
        **extra,  # type: ignore[arg-type]
    )


def series_calendar(entry: SeriesEntry) -> Calendar:
    return parse(build_calendar("周例会", series_events(entry, TZ, STAMP), TZ))


# --- pure: the files themselves


def test_a_weekly_series_postponed_over_the_holidays_expands_to_the_days_it_is_held() -> None:
    calendar = series_calendar(weekly_series(POSTPONE))
    (timezone,) = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Asia/Shanghai"
    master = next(e for e in calendar.walk("VEVENT") if "RRULE" in e)
    assert master["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert master.start == ten(date(2024, 9, 2))
    assert master.end - master.start == timedelta(minutes=90)
    until = master["RRULE"]["UNTIL"][0]
    assert until.tzinfo is not None and until.utcoffset() == timedelta(0)  # UTC, as RFC 5545 wants
    assert until == datetime(2024, 10, 31, 23, 59, 59, tzinfo=TZ).astimezone(UTC)
    assert "EXDATE" not in master  # nothing cancelled: moved occurrences are overrides
    held = expand(calendar, date(2024, 9, 1), date(2024, 11, 1))
    assert starts(held) == [ten(d) for d in POSTPONED]
    assert {e["UID"] for e in held} == {"series-1@xietong.test"}
    moved = [e for e in held if e.start.date() in (date(2024, 9, 18), date(2024, 10, 8))]
    assert [e["RECURRENCE-ID"].dt for e in moved] == [ten(date(2024, 9, 16)), ten(date(2024, 10, 7))]
    assert "顺延" in str(moved[1]["SUMMARY"])
    assert "国庆节" in str(moved[1]["DESCRIPTION"]) and "中秋" in str(moved[0]["DESCRIPTION"])


def test_a_weekly_series_with_skip_has_exdates_for_the_holidays() -> None:
    calendar = series_calendar(weekly_series(SKIP))
    (master,) = calendar.walk("VEVENT")
    exdates = [d.dt for d in master["EXDATE"].dts]
    assert exdates == [ten(date(2024, 9, 16)), ten(date(2024, 10, 7))]
    assert master["EXDATE"].params["TZID"] == "Asia/Shanghai"
    assert starts(expand(calendar, date(2024, 9, 1), date(2024, 11, 1))) == [ten(d) for d in SKIPPED]


def test_a_weekly_series_with_keep_meets_on_the_holidays() -> None:
    calendar = series_calendar(weekly_series(KEEP))
    assert len(calendar.walk("VEVENT")) == 1
    assert starts(expand(calendar, date(2024, 9, 1), date(2024, 11, 1))) == [ten(d) for d in MONDAYS]


def test_a_rule_without_a_time_of_day_gives_all_day_events() -> None:
    calendar = series_calendar(weekly_series(POSTPONE, rrule="FREQ=WEEKLY;BYDAY=FR"))
    master = next(e for e in calendar.walk("VEVENT") if "RRULE" in e)
    assert master["DTSTART"].params.get("VALUE") == "DATE"
    assert master.start == date(2024, 9, 6) and master.end == date(2024, 9, 7)
    assert master["RRULE"]["UNTIL"][0] == date(2024, 10, 31)
    held = starts(expand(calendar, date(2024, 9, 1), date(2024, 11, 1)))
    # Friday 4 October is in the National Day holiday: moved to Tuesday 8 October.
    fridays = [date(2024, 9, 6) + timedelta(weeks=i) for i in range(8)]
    assert held == [date(2024, 10, 8) if d == date(2024, 10, 4) else d for d in fridays]
    assert all(isinstance(d, date) and not isinstance(d, datetime) for d in held)


def test_a_daily_series_postponed_over_the_holidays_never_doubles_a_day() -> None:
    rrule = "FREQ=DAILY;BYHOUR=9;BYMINUTE=30"
    calendar = series_calendar(weekly_series(POSTPONE, rrule=rrule))
    held = starts(expand(calendar, date(2024, 9, 1), date(2024, 11, 1)))
    days = [d.date() for d in held if isinstance(d, datetime)]
    assert len(days) == len(set(days))
    assert date(2024, 9, 29) in days and date(2024, 10, 12) in days  # make-up working days
    assert not any(date(2024, 10, 1) <= d <= date(2024, 10, 7) for d in days)
    assert date(2024, 9, 28) not in days


def test_an_opened_occurrence_replaces_its_instance_with_the_meetings_details() -> None:
    opened = MeetingEntry(
        uid="meeting-9@xietong.test",
        summary="周例会(2024-10-08) · 客户投诉快速响应",
        start=ten(date(2024, 10, 8)),
        minutes=45,
        agenda=("各部门汇报本周进展", "待决问题:VIP 通道"),
        url="https://xietong.test/c/demo/meetings/9/",
        organizer=Invitee("王经理", "wang@example.com"),
        attendees=(Invitee("李工", "li@example.com"),),
    )
    calendar = series_calendar(weekly_series(POSTPONE, opened={opened.start: opened}))
    held = expand(calendar, date(2024, 10, 1), date(2024, 10, 13))
    assert len(held) == 1
    (event,) = held
    assert event["UID"] == "series-1@xietong.test"
    assert event["RECURRENCE-ID"].dt == ten(date(2024, 10, 7))
    assert event.start == ten(date(2024, 10, 8)) and event.end == ten(date(2024, 10, 8)) + timedelta(
        minutes=45
    )
    assert str(event["SUMMARY"]) == opened.summary
    assert "1. 各部门汇报本周进展\n2. 待决问题:VIP 通道" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == opened.url


def test_a_meeting_event_names_its_organizer_attendees_and_agenda() -> None:
    entry = MeetingEntry(
        uid="meeting-1@xietong.test",
        summary="跨部门启动会 · 客户投诉快速响应",
        start=datetime(2024, 7, 8, 2, 0, tzinfo=UTC),  # 10:00 in Shanghai
        minutes=120,
        location="三楼大会议室; A 区, 301",
        agenda=("目标宣讲", "职责确认"),
        url="https://xietong.test/c/demo/meetings/1/",
        organizer=Invitee("王经理", "wang@example.com"),
        attendees=(Invitee("李工, 技术部", "li@example.com"), Invitee("赵总监")),
        sequence=12,
        notes=("跨部门协作:客户投诉快速响应",),
    )
    body = build_calendar("启动会", [meeting_event(entry, TZ, STAMP)], TZ)
    assert all(len(line) <= 75 for line in body.split(b"\r\n")), "lines are folded at 75 octets"
    calendar = parse(body)
    (event,) = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert event.start == datetime(2024, 7, 8, 10, 0, tzinfo=TZ)
    assert event.end == datetime(2024, 7, 8, 12, 0, tzinfo=TZ)
    assert event["DTSTAMP"].dt == STAMP.astimezone(UTC)
    assert event["SEQUENCE"] == 12
    assert str(event["LOCATION"]) == "三楼大会议室; A 区, 301"
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:wang@example.com" and organizer.params["CN"] == "王经理"
    # A PUBLISH file names the attendees in its text (RFC 5546 3.2.1: no ATTENDEE) …
    assert "ATTENDEE" not in event
    assert "参会人:李工, 技术部、赵总监" in str(event["DESCRIPTION"])
    # … the invitation mailed (REQUEST) carries them.
    (invited,) = Calendar.from_ical(invitation_calendar(entry, TZ, STAMP)).walk("VEVENT")
    (attendee,) = [invited["ATTENDEE"]] if not isinstance(invited["ATTENDEE"], list) else invited["ATTENDEE"]
    assert str(attendee) == "mailto:li@example.com"
    assert attendee.params["CN"] == "李工, 技术部"
    assert (attendee.params["ROLE"], attendee.params["PARTSTAT"], attendee.params["RSVP"]) == (
        "REQ-PARTICIPANT",
        "NEEDS-ACTION",
        "TRUE",
    )
    description = str(event["DESCRIPTION"])
    assert "1. 目标宣讲\n2. 职责确认" in description
    assert "赵总监" in description  # no e-mail address: named in the text instead
    assert "https://xietong.test/c/demo/meetings/1/" in description
    assert str(event["URL"]) == "https://xietong.test/c/demo/meetings/1/"


# --- the pages


def with_emails(collab: Collaboration) -> Person:
    """Give the demo's owner and 技术部's liaison e-mail addresses, 技术部's head none; return the liaison."""
    Person.objects.filter(username="赵总监").update(email="")
    assert collab.owner is not None
    collab.owner.email = "wang@example.com"
    collab.owner.save()
    liaison = Participant.objects.get(collaboration=collab, department__name="技术部").liaison
    assert liaison is not None
    liaison.email = "li@example.com"
    liaison.save()
    return liaison


def kickoff(collab: Collaboration) -> Meeting:
    return Meeting.objects.get(collaboration=collab, kind=MeetingKind.KICKOFF)


def weekly_rule(collab: Collaboration) -> CommunicationRule:
    return CommunicationRule.objects.get(collaboration=collab, scenario="decision")


def extend_goal(collab: Collaboration, deadline: date = date(2024, 10, 31)) -> None:
    Goal.objects.filter(collaboration=collab).update(deadline=deadline)


def test_the_kickoff_downloads_with_its_chair_agenda_and_attendees_named(demo: Collaboration) -> None:
    with_emails(demo)
    meeting = kickoff(demo)
    response = owner(demo).get(f"/c/{demo.slug}/meetings/{meeting.pk}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename")
    assert ".ics" in response["Content-Disposition"]
    calendar = parse(response.content)
    (event,) = calendar.walk("VEVENT")
    host = urlsplit(settings.SITE_URL).hostname
    assert event["UID"] == f"meeting-{meeting.pk}@{host}"
    assert event.start == datetime(2024, 7, 8, 10, tzinfo=TZ)
    assert event["SEQUENCE"] == Collaboration.objects.get(pk=demo.pk).version
    assert str(event["ORGANIZER"]) == "mailto:wang@example.com"
    assert "ATTENDEE" not in event  # a PUBLISH file: the attendees are named in the text
    description = str(event["DESCRIPTION"])
    liaison = Participant.objects.get(collaboration=demo, department__name="技术部").liaison
    assert liaison is not None and liaison.name in description
    assert "1. " in description and f"/c/{demo.slug}/meetings/{meeting.pk}/" in description
    assert "赵总监" in description  # a head without an address


def test_downloads_are_404_for_an_outsider_and_ask_a_stranger_to_sign_in(
    demo: Collaboration, outsider: Person
) -> None:
    meeting, rule = kickoff(demo), weekly_rule(demo)
    client = signed_in(outsider)
    assert client.get(f"/c/{demo.slug}/meetings/{meeting.pk}.ics").status_code == 404
    assert client.get(f"/c/{demo.slug}/communication/{rule.pk}.ics").status_code == 404
    anonymous = Client().get(f"/c/{demo.slug}/meetings/{meeting.pk}.ics")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_meeting_of_another_collaboration_is_not_found_through_this_one(
    demo: Collaboration, admin_user: Person
) -> None:
    other = do_import_charter(parse_charter(charter_with_tasks(2)), slug="other")
    theirs = kickoff(other)
    assert signed_in(admin_user).get(f"/c/{demo.slug}/meetings/{theirs.pk}.ics").status_code == 404
    assert signed_in(admin_user).get(f"/c/{other.slug}/meetings/{theirs.pk}.ics").status_code == 200


def test_a_liaison_downloads_the_weekly_meeting_across_mid_autumn_and_national_day(
    demo: Collaboration,
) -> None:
    liaison = with_emails(demo)
    extend_goal(demo)
    rule = weekly_rule(demo)
    response = signed_in(liaison).get(f"/c/{demo.slug}/communication/{rule.pk}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = parse(response.content)
    master = next(e for e in calendar.walk("VEVENT") if "RRULE" in e)
    assert master.start == datetime(2024, 7, 15, 10, tzinfo=TZ)  # the first Monday after the kickoff
    assert master["RRULE"]["FREQ"] == ["WEEKLY"] and master["RRULE"]["BYDAY"] == ["MO"]
    assert master["RRULE"]["UNTIL"][0] == datetime(2024, 10, 31, 23, 59, 59, tzinfo=TZ).astimezone(UTC)
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Asia/Shanghai"
    held = expand(calendar, date(2024, 9, 1), date(2024, 11, 1))
    assert starts(held) == [ten(d) for d in POSTPONED]
    # Since the kickoff: every Monday once, the demo's opened meetings as themselves.
    summer = expand(calendar, date(2024, 7, 8), date(2024, 9, 1))
    assert starts(summer) == [ten(date(2024, 7, 15) + timedelta(weeks=i)) for i in range(7)]
    opened = Meeting.objects.filter(series=rule).count()
    assert opened >= 1
    assert sum(1 for e in summer if f"/c/{demo.slug}/meetings/" in str(e.get("URL", ""))) == opened


def test_the_weekly_meeting_with_skip_leaves_the_holidays_out(demo: Collaboration) -> None:
    extend_goal(demo)
    rule = weekly_rule(demo)
    rule.holiday_policy = SKIP
    rule.save()
    calendar = parse(owner(demo).get(f"/c/{demo.slug}/communication/{rule.pk}.ics").content)
    master = next(e for e in calendar.walk("VEVENT") if "RRULE" in e)
    assert [d.dt for d in master["EXDATE"].dts] == [ten(date(2024, 9, 16)), ten(date(2024, 10, 7))]
    assert starts(expand(calendar, date(2024, 9, 1), date(2024, 11, 1))) == [ten(d) for d in SKIPPED]


def test_a_row_that_is_not_a_regular_meeting_has_no_calendar(demo: Collaboration) -> None:
    rule = CommunicationRule.objects.get(collaboration=demo, scenario="progress_sync")
    assert owner(demo).get(f"/c/{demo.slug}/communication/{rule.pk}.ics").status_code == 404


# --- the subscription feed


def feed_path(client: Client) -> str:
    response = client.get("/calendar/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    url = response.context["feed_url"]
    assert response.context["webcal_url"] == "webcal://" + url.split("://", 1)[1]
    return urlsplit(url).path


def test_the_feed_opens_with_its_token_and_without_signing_in(demo: Collaboration) -> None:
    liaison = with_emails(demo)
    path = feed_path(signed_in(liaison))
    page = signed_in(liaison).get("/calendar/").content.decode()
    assert "飞书日历" in page and "Outlook" in page and "Apple" in page and "webcal://" in page
    assert "客户投诉快速响应" in page  # the collaborations it covers
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = parse(response.content)
    assert liaison.name in str(calendar["X-WR-CALNAME"])
    host = urlsplit(settings.SITE_URL).hostname
    uids = {str(e["UID"]) for e in calendar.walk("VEVENT")}
    assert f"meeting-{kickoff(demo).pk}@{host}" in uids
    assert f"series-{weekly_rule(demo).pk}@{host}" in uids
    # opened occurrences are inside their series, not a second event at the same time
    opened = Meeting.objects.filter(series=weekly_rule(demo)).values_list("pk", flat=True)
    assert not uids & {f"meeting-{pk}@{host}" for pk in opened}


def test_a_tampered_or_foreign_token_is_404(demo: Collaboration) -> None:
    assert demo.owner is not None
    path = feed_path(owner(demo))
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert Client().get(f"/calendar/{flipped}.ics").status_code == 404
    pk, nonce, signature = token.split(":")
    assert Client().get(f"/calendar/{int(pk) + 1}:{nonce}:{signature}.ics").status_code == 404
    assert Client().get("/calendar/nonsense.ics").status_code == 404


def test_resetting_the_url_stops_the_old_one(demo: Collaboration) -> None:
    client = owner(demo)
    old = feed_path(client)
    assert Client().get(old).status_code == 200
    response = client.post("/calendar/reset/", follow=True)
    assert "已重置订阅链接" in response.content.decode()
    new = feed_path(client)
    assert new != old
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    assert client.get("/calendar/reset/").status_code == 405


def test_an_inactive_persons_feed_is_404(demo: Collaboration) -> None:
    assert demo.owner is not None
    path = feed_path(owner(demo))
    Person.objects.filter(pk=demo.owner.pk).update(is_active=False)
    assert Client().get(path).status_code == 404


def test_the_feed_holds_only_collaborations_one_takes_part_in(
    demo: Collaboration, admin_user: Person
) -> None:
    # An administrator sees every collaboration but takes part in none of them.
    calendar = parse(Client().get(feed_path(signed_in(admin_user))).content)
    assert calendar.walk("VEVENT") == []
    # A member takes part; a mere viewer does not.
    member, viewer = make_person("member"), make_person("viewer")
    Membership.objects.create(collaboration=demo, person=member, role="member")
    Membership.objects.create(collaboration=demo, person=viewer, role="viewer")
    assert parse(Client().get(feed_path(signed_in(member))).content).walk("VEVENT")
    assert parse(Client().get(feed_path(signed_in(viewer))).content).walk("VEVENT") == []
    # An attendee of one meeting takes part too, as long as they may see the collaboration.
    guest = make_person("guest")
    kickoff(demo).attendees.add(guest)
    assert parse(Client().get(feed_path(signed_in(guest))).content).walk("VEVENT") == []
    Membership.objects.create(collaboration=demo, person=guest, role="viewer")
    assert parse(Client().get(feed_path(signed_in(guest))).content).walk("VEVENT")


def test_the_calendar_page_needs_a_sign_in() -> None:
    response = Client().get("/calendar/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _collab_with_meetings(slug: str, person: Person, count: int) -> None:
    collab = do_import_charter(parse_charter(charter_with_tasks(3)), slug=slug)
    Membership.objects.create(collaboration=collab, person=person, role="member")
    people = [make_person(f"{slug}-{i}", email=f"{slug}-{i}@example.com") for i in range(3)]
    for i in range(count):
        meeting = Meeting.objects.create(
            collaboration=collab,
            kind=MeetingKind.ADHOC,
            title=f"专项沟通会 {i}",
            scheduled_at=datetime(2024, 8, 1, 14, tzinfo=TZ) + timedelta(days=i),
            chair=people[0],
        )
        meeting.attendees.set(people)
        AgendaItem.objects.bulk_create(
            AgendaItem(meeting=meeting, position=j, title=f"议题 {j}") for j in range(3)
        )


def _feed_queries(person: Person) -> int:
    token = feed_token(do_open_calendar_feed(person))
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    return len(queries)


def _page_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_downloads_and_the_calendar_page_cost_the_same_queries_whatever_the_size(db: None) -> None:
    few, many = make_person("few"), make_person("many")
    _collab_with_meetings("few", few, 2)
    _collab_with_meetings("many", many, 20)
    counts: dict[str, list[int]] = {"meeting": [], "series": [], "page": []}
    for slug, person, opened in (("few", few, 1), ("many", many, 12)):
        collab = Collaboration.objects.get(slug=slug)
        rule = weekly_rule(collab)
        for o in series_occurrences(rule, series_window(collab))[:opened]:
            assert o.at is not None
            do_open_occurrence(rule, o.at)
        meeting = Meeting.objects.filter(collaboration=collab, kind=MeetingKind.ADHOC).last()
        assert meeting is not None
        meeting.attendees.add(*[make_person(f"{slug}-extra-{i}") for i in range(opened)])
        client = signed_in(person)
        counts["meeting"].append(_page_queries(client, f"/c/{slug}/meetings/{meeting.pk}.ics"))
        counts["series"].append(_page_queries(client, f"/c/{slug}/communication/{rule.pk}.ics"))
        counts["page"].append(_page_queries(client, "/calendar/"))
    for name, (small, large) in counts.items():
        assert small == large, name


def test_the_feed_costs_the_same_queries_for_2_or_20_meetings(db: None) -> None:
    few, many = make_person("few"), make_person("many")
    _collab_with_meetings("few", few, 2)
    _collab_with_meetings("many", many, 20)
    assert (
        len(
            parse(Client().get(f"/calendar/{feed_token(do_open_calendar_feed(many))}.ics").content).walk(
                "VEVENT"
            )
        )
        >= 20
    )
    assert _feed_queries(few) == _feed_queries(many)


# --- opening an occurrence


def test_opening_an_occurrence_twice_gives_one_meeting(demo: Collaboration) -> None:
    extend_goal(demo)
    rule = weekly_rule(demo)
    client = owner(demo)
    before = Meeting.objects.filter(series=rule).count()
    with time_machine.travel(datetime(2024, 9, 25, 9, tzinfo=TZ), tick=False):
        first = client.post(
            f"/c/{demo.slug}/communication/{rule.pk}/open/", {"at": "2024-10-08T10:00:00+08:00"}
        )
        second = client.post(
            f"/c/{demo.slug}/communication/{rule.pk}/open/", {"at": "2024-10-08T10:00:00+08:00"}
        )
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    meeting = Meeting.objects.get(series=rule, scheduled_at=ten(date(2024, 10, 8)))
    assert first["Location"] == f"/c/{demo.slug}/meetings/{meeting.pk}/"
    assert Meeting.objects.filter(series=rule).count() == before + 1
    assert meeting.kind == MeetingKind.RECURRING and meeting.attendees.exists() and meeting.agenda.exists()
    # the plan now links to it, and the calendar shows it inside the series
    with time_machine.travel(datetime(2024, 9, 25, 9, tzinfo=TZ), tick=False):
        page = client.get(f"/c/{demo.slug}/communication/").content.decode()
    assert f"/c/{demo.slug}/meetings/{meeting.pk}/" in page
    calendar = parse(client.get(f"/c/{demo.slug}/communication/{rule.pk}.ics").content)
    (event,) = expand(calendar, date(2024, 10, 8), date(2024, 10, 9))
    assert event["RECURRENCE-ID"].dt == ten(date(2024, 10, 7))
    assert f"/meetings/{meeting.pk}/" in str(event["URL"])


@pytest.mark.parametrize(
    "at",
    [
        "2024-10-07T10:00:00+08:00",  # planned, but moved to the 8th by National Day
        "2024-10-09T10:00:00+08:00",  # a Wednesday
        "2025-03-03T10:00:00+08:00",  # after the goal's deadline
        "not a time",
        "",
    ],
)
def test_a_time_that_is_not_an_occurrence_is_refused_with_a_message(demo: Collaboration, at: str) -> None:
    extend_goal(demo)
    rule = weekly_rule(demo)
    client = owner(demo)
    before = Meeting.objects.count()
    response = client.post(f"/c/{demo.slug}/communication/{rule.pk}/open/", {"at": at})
    assert response.status_code == 302
    assert response["Location"] == f"/c/{demo.slug}/communication/#rule-{rule.pk}"
    assert "不是这项例会的会议时间" in client.get(response["Location"]).content.decode()
    assert Meeting.objects.count() == before


def test_only_the_initiator_opens_occurrences(demo: Collaboration, outsider: Person) -> None:
    extend_goal(demo)
    rule = weekly_rule(demo)
    liaison = Participant.objects.get(collaboration=demo, department__name="技术部").liaison
    assert liaison is not None
    data = {"at": "2024-10-08T10:00:00+08:00"}
    assert signed_in(liaison).post(f"/c/{demo.slug}/communication/{rule.pk}/open/", data).status_code == 403
    assert signed_in(outsider).post(f"/c/{demo.slug}/communication/{rule.pk}/open/", data).status_code == 404
    assert owner(demo).get(f"/c/{demo.slug}/communication/{rule.pk}/open/").status_code == 405
    assert not Meeting.objects.filter(series=rule, scheduled_at=ten(date(2024, 10, 8))).exists()
