"""The one permission layer: who sees a collaboration and who may change what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.conftest import make_person
from tests.helpers import liaison_of
from xietong.collabs.access import access_for, get_collaboration_for_user, visible_collaborations
from xietong.collabs.models import Collaboration, MemberRole, Membership, Visibility
from xietong.orgs.models import Department, Person
from xietong.orgs.roles import Action, Role

pytestmark = pytest.mark.django_db


def dept(name: str) -> Department:
    return Department.objects.get(name=name)


def test_the_initiator_may_edit_everything_and_close(demo: Collaboration) -> None:
    assert demo.owner is not None
    access = access_for(demo.owner, demo)
    assert Role.INITIATOR in access.roles
    assert access.can(Action.EDIT_COLLABORATION)
    assert access.can(Action.EDIT_DEPARTMENT_ROWS, dept("技术部").pk)
    assert access.can(Action.CLOSE)


def test_a_liaison_edits_only_their_own_departments_rows(demo: Collaboration) -> None:
    access = access_for(liaison_of(demo, "技术部"), demo)
    assert access.roles == {Role.LIAISON}
    assert access.can(Action.EDIT_DEPARTMENT_ROWS, dept("技术部").pk)
    assert not access.can(Action.EDIT_DEPARTMENT_ROWS, dept("产品部").pk)
    assert not access.can(Action.EDIT_COLLABORATION)
    assert not access.can(Action.CONFIRM_MINUTES, dept("技术部").pk)


def test_only_a_departments_head_confirms_its_minutes(demo: Collaboration) -> None:
    head = dept("法务部").head
    assert head is not None
    access = access_for(head, demo)
    assert Role.HEAD in access.roles
    assert access.can(Action.CONFIRM_MINUTES, dept("法务部").pk)
    assert not access.can(Action.CONFIRM_MINUTES, dept("技术部").pk)
    assert not access.can(Action.CLOSE)


def test_members_and_viewers_only_see(demo: Collaboration) -> None:
    member, viewer = make_person("member"), make_person("viewer")
    Membership.objects.create(collaboration=demo, person=member, role=MemberRole.MEMBER)
    Membership.objects.create(collaboration=demo, person=viewer, role=MemberRole.VIEWER)
    assert access_for(member, demo).roles == {Role.MEMBER}
    assert access_for(viewer, demo).roles == {Role.VIEWER}
    for person in (member, viewer):
        assert access_for(person, demo).can(Action.VIEW)
        assert not access_for(person, demo).can(Action.EDIT_DEPARTMENT_ROWS, dept("技术部").pk)


def test_an_outsider_gets_404_not_403(demo: Collaboration, outsider: Person) -> None:
    with pytest.raises(Http404):
        get_collaboration_for_user(outsider, demo.slug)
    assert demo not in visible_collaborations(outsider)


def test_a_company_wide_collaboration_is_visible_read_only(demo: Collaboration, outsider: Person) -> None:
    demo.visibility = Visibility.COMPANY
    demo.save()
    _collab, access = get_collaboration_for_user(outsider, demo.slug)
    assert access.roles == {Role.VIEWER}
    with pytest.raises(PermissionDenied):
        get_collaboration_for_user(outsider, demo.slug, Action.EDIT_COLLABORATION)
    assert demo in visible_collaborations(outsider)


def test_a_participant_may_see_but_not_do_what_is_not_theirs(demo: Collaboration) -> None:
    liaison = liaison_of(demo, "产品部")
    get_collaboration_for_user(liaison, demo.slug)
    with pytest.raises(PermissionDenied):
        get_collaboration_for_user(liaison, demo.slug, Action.EDIT_DEPARTMENT_ROWS, dept("技术部").pk)
    get_collaboration_for_user(liaison, demo.slug, Action.EDIT_DEPARTMENT_ROWS, dept("产品部").pk)


def test_administrators_see_all_and_anonymous_nothing(demo: Collaboration, admin_user: Person) -> None:
    assert access_for(admin_user, demo).can(Action.EDIT_COLLABORATION)
    assert list(visible_collaborations(AnonymousUser())) == []
    assert not access_for(AnonymousUser(), demo).sees_anything


def test_an_inactive_person_loses_access(demo: Collaboration) -> None:
    liaison = liaison_of(demo, "技术部")
    liaison.is_active = False
    liaison.save()
    assert not access_for(liaison, demo).sees_anything


def test_a_liaison_may_change_their_departments_task_but_not_anothers(demo: Collaboration) -> None:
    from xietong.collabs.access import get_task_for_user
    from xietong.collabs.models import Task

    liaison = liaison_of(demo, "技术部")
    own = Task.objects.filter(collaboration=demo, department__name="技术部").first()
    other = Task.objects.filter(collaboration=demo, department__name="产品部").first()
    assert own is not None and other is not None
    task, _ = get_task_for_user(liaison, own.pk, Action.EDIT_DEPARTMENT_ROWS)
    assert task == own
    get_task_for_user(liaison, other.pk)  # seeing is fine
    with pytest.raises(PermissionDenied):
        get_task_for_user(liaison, other.pk, Action.EDIT_DEPARTMENT_ROWS)


def test_a_row_of_an_invisible_collaboration_is_404(demo: Collaboration, outsider: Person) -> None:
    from xietong.collabs.access import get_subgoal_for_user, get_task_for_user
    from xietong.collabs.models import SubGoal, Task

    task = Task.objects.filter(collaboration=demo).first()
    subgoal = SubGoal.objects.filter(collaboration=demo).first()
    assert task is not None and subgoal is not None
    with pytest.raises(Http404):
        get_task_for_user(outsider, task.pk)
    with pytest.raises(Http404):
        get_subgoal_for_user(outsider, subgoal.pk)
    with pytest.raises(Http404):
        get_task_for_user(outsider, 10**9)
