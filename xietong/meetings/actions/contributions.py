"""What each department can offer and what it needs from whom (kickoff, step 3).

The guide: 各部门提出可提供的支持及需要的配合. A need turns with one click
into a proposal for the responsibility table (a task of the department it
is asked of) or for the sub-goals; the proposal is a plain row that the
R and S rules flag until someone gives it a standard, a deadline or a
target.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version, delete_row, next_position
from xietong.collabs.actions.subgoals import SubGoalFields, do_save_subgoal
from xietong.collabs.actions.tasks import TaskInput, do_save_task
from xietong.collabs.models import SubGoal, Task, TaskStatus
from xietong.lib.limits import check_input
from xietong.meetings.models import Contribution, ContributionKind, Meeting
from xietong.orgs.models import Department, Person


@dataclass(frozen=True)
class ContributionInput:
    kind: str  # a ContributionKind
    department: Department
    text: str
    counterpart: Department | None = None  # for a need: the department asked

    def __post_init__(self) -> None:
        check_input(self, Contribution)
        if not self.text.strip():
            raise ValueError("say what is offered or needed")
        if self.counterpart is not None and self.counterpart.pk == self.department.pk:
            raise ValueError("a department does not need something from itself")


@transaction.atomic
def do_save_contribution(
    meeting: Meeting,
    data: ContributionInput,
    *,
    contribution: Contribution | None = None,
    actor: Person | None = None,
) -> Contribution:
    """Add an offer or need at the end of the meeting's list, or change ``contribution``."""
    if contribution is not None and contribution.meeting_id != meeting.pk:
        raise ValueError("the entry belongs to another meeting")
    collab = meeting.collaboration
    with audited(contribution, actor=actor, collaboration=collab) as box:
        if contribution is None:
            contribution = Contribution(
                meeting=meeting, position=next_position(Contribution.objects.filter(meeting=meeting))
            )
        contribution.kind = data.kind
        contribution.department = data.department
        contribution.counterpart = data.counterpart
        contribution.text = data.text.strip()
        contribution.save()
        box["obj"] = contribution
    bump_version(collab)
    return contribution


@transaction.atomic
def do_delete_contribution(contribution: Contribution, *, actor: Person | None = None) -> None:
    """Remove an entry; a task or sub-goal made from it stays where it is."""
    delete_row(contribution, contribution.meeting.collaboration, actor=actor)


def _asked(contribution: Contribution) -> Department:
    """Return who delivers what a need asks: the department asked, else the one that needs it."""
    return contribution.counterpart or contribution.department


def _check_need(contribution: Contribution) -> None:
    if contribution.kind != ContributionKind.NEED:
        raise ValueError("only needs become tasks or sub-goals")


def _link(contribution: Contribution, actor: Person | None, **row: Task | SubGoal) -> None:
    collab = contribution.meeting.collaboration
    with audited(contribution, actor=actor, collaboration=collab):
        for name, value in row.items():
            setattr(contribution, name, value)
        contribution.save(update_fields=list(row))


@transaction.atomic
def do_need_to_task(contribution: Contribution, *, actor: Person | None = None) -> Task:
    """Make a need a row of the responsibility table (once) and return it.

    The department asked is responsible, the one in need collaborates;
    standard and deadline are left for the table's owners (R03, R04 say so).
    """
    _check_need(contribution)
    if contribution.task is not None:
        return contribution.task
    collab = contribution.meeting.collaboration
    task = do_save_task(
        collab,
        TaskInput(
            description=contribution.text,
            department=_asked(contribution),
            standard="",
            deadline=None,
            collaborators=[contribution.department] if contribution.counterpart else [],
            status=TaskStatus.NOT_STARTED,
            blocked_reason="",
        ),
        actor=actor,
    )
    _link(contribution, actor, task=task)
    return task


@transaction.atomic
def do_need_to_subgoal(contribution: Contribution, *, actor: Person | None = None) -> SubGoal:
    """Make a need a sub-goal proposal of the department asked (once) and return it.

    Metric, target and time limit are left to be agreed (S01-S03 say so).
    """
    _check_need(contribution)
    if contribution.subgoal is not None:
        return contribution.subgoal
    collab = contribution.meeting.collaboration
    subgoal = do_save_subgoal(
        collab,
        SubGoalFields(
            description=contribution.text,
            department=_asked(contribution),
            metric_id=None,
            target=None,
            unit="",
            deadline_kind="",
        ),
        actor=actor,
    )
    _link(contribution, actor, subgoal=subgoal)
    return subgoal
