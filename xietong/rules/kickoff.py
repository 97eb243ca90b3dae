"""Step 3 (对齐): the kickoff meeting, its agenda and its confirmed minutes.

Rules K01-K04. The guide: 会前3天发送会议议程及背景资料; 会后24小时内输出
《启动会会议纪要》,经各部门负责人确认后存档.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from xietong.rules.engine import Context, Finding, Severity, lazy_join, rule
from xietong.rules.snapshot import Collab

AGENDA_LEAD = timedelta(hours=72)
MINUTES_WITHIN = timedelta(hours=24)


def local_time(moment: datetime, ctx: Context) -> str:
    """Return ``moment`` as people read it: local wall time to the minute."""
    return moment.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")


@rule("K01", Severity.WARNING, _("未安排启动会"))
def kickoff_not_scheduled(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag a collaboration with no kickoff meeting or one with no time set."""
    if collab.kickoff is None or collab.kickoff.scheduled_at is None:
        yield kickoff_not_scheduled.finding(
            "kickoff", _("尚未安排跨部门启动会:请确定会议时间,由发起部门负责人主持")
        )


@rule("K02", Severity.WARNING, _("启动会议程未提前 72 小时发送"))
def agenda_late(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag an agenda sent less than 72 h before the meeting, or not sent in time.

    Sent: judged by when it went out. Not sent: quiet while more than 72 h
    remain (there is still time to send it), a finding once fewer remain,
    and it stays one after the meeting (the agenda was never sent in time).
    """
    kickoff = collab.kickoff
    if kickoff is None or kickoff.scheduled_at is None:
        return
    scheduled = kickoff.scheduled_at
    if kickoff.agenda_sent_at is not None:
        if scheduled - kickoff.agenda_sent_at < AGENDA_LEAD:
            yield agenda_late.finding(
                "kickoff",
                _(
                    "启动会议程于 %(sent)s 发送,距会议(%(scheduled)s)不足 72 小时:"
                    "应在会前 3 天发送议程及背景资料,保证参会人员提前准备"
                ),
                sent=local_time(kickoff.agenda_sent_at, ctx),
                scheduled=local_time(scheduled, ctx),
            )
    elif scheduled - ctx.now < AGENDA_LEAD:
        yield agenda_late.finding(
            "kickoff",
            _("启动会(%(scheduled)s)前 72 小时仍未发送会议议程及背景资料:请尽快发送,必要时顺延会议"),
            scheduled=local_time(scheduled, ctx),
        )


@rule("K03", Severity.WARNING, _("启动会会议纪要未在 24 小时内输出"))
def minutes_late(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag minutes issued more than 24 h after the meeting, or still missing then.

    Quiet before the meeting and during the first 24 h after it.
    """
    kickoff = collab.kickoff
    if kickoff is None or kickoff.scheduled_at is None or ctx.now < kickoff.scheduled_at:
        return
    due = kickoff.scheduled_at + MINUTES_WITHIN
    if kickoff.minutes_issued_at is None:
        if ctx.now > due:
            yield minutes_late.finding(
                "kickoff",
                _("启动会已于 %(scheduled)s 召开,超过 24 小时仍未输出《启动会会议纪要》"),
                scheduled=local_time(kickoff.scheduled_at, ctx),
            )
    elif kickoff.minutes_issued_at > due:
        yield minutes_late.finding(
            "kickoff",
            _("《启动会会议纪要》于 %(issued)s 输出,晚于会后 24 小时(%(due)s)"),
            issued=local_time(kickoff.minutes_issued_at, ctx),
            due=local_time(due, ctx),
        )


@rule("K04", Severity.WARNING, _("启动会会议纪要未经全部部门确认"))
def minutes_not_confirmed(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag issued minutes that some participating department has not confirmed.

    Only after the meeting and once minutes are issued: there is nothing to
    confirm before. Lists the missing departments in the order they are
    listed; confirmations from departments that are not participants are
    ignored. A confirmation recorded for a head by someone else (代确认)
    counts as confirmed; the message says how many of the confirmed were
    (``params["proxied"]``, from ``Kickoff.proxies``).
    """
    kickoff = collab.kickoff
    if (
        kickoff is None
        or kickoff.scheduled_at is None
        or kickoff.minutes_issued_at is None
        or ctx.now < kickoff.scheduled_at
    ):
        return
    names = list(dict.fromkeys(d.name for d in collab.departments if d.name))
    missing = [name for name in names if name not in kickoff.confirmations]
    if not missing:
        return
    proxied = [name for name in names if name in kickoff.confirmations and name in kickoff.proxies]
    if proxied:
        yield minutes_not_confirmed.finding(
            "kickoff",
            _(
                "《启动会会议纪要》尚未经以下部门负责人确认:%(departments)s。确认后方可存档"
                "(已确认的部门中 %(proxied)s 个为代确认:%(proxied_departments)s)"
            ),
            departments=lazy_join(missing),
            proxied=len(proxied),
            proxied_departments=lazy_join(proxied),
        )
    else:
        yield minutes_not_confirmed.finding(
            "kickoff",
            _("《启动会会议纪要》尚未经以下部门负责人确认:%(departments)s。确认后方可存档"),
            departments=lazy_join(missing),
            proxied=0,
        )
