"""The words of each reminder, in the reader's language, and the layouts that carry them.

Notifications keep language-neutral values (names, ISO times); the text is
rendered when it is shown or sent, in the recipient's language (a group
robot gets the site's), from the translatable strings below and the
templates ``notify/message.txt`` / ``.html`` / ``.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.collabs.models import NominationRole
from xietong.meetings.models import MeetingKind
from xietong.notify.models import Kind, Notification

SUBJECTS: dict[str, Promise] = {
    Kind.AGENDA_DUE: _("【%(collab)s】启动会议程待发送"),
    Kind.MINUTES_DUE: _("【%(collab)s】会议纪要待输出"),
    Kind.MINUTES_OVERDUE: _("【%(collab)s】会议纪要已超过 24 小时未输出"),
    Kind.CONFIRMATION_PENDING: _("【%(collab)s】请确认会议纪要"),
    Kind.WEEKLY_UPDATE_DUE: _("【%(collab)s】请在周例会前更新进度"),
    Kind.TASK_DUE_SOON: _("【%(collab)s】任务即将到期"),
    Kind.TASK_OVERDUE: _("【%(collab)s】任务已逾期"),
    Kind.ESCALATION: _("【%(collab)s】阻塞任务升级(第 %(level)s 级)"),
    Kind.SLA_AT_RISK: _("【%(collab)s】时限请求即将超时"),
    Kind.SLA_BREACHED: _("【%(collab)s】时限请求已超时"),
    Kind.OCCURRENCE_MISSED: _("【%(collab)s】周期子目标未按时完成"),
    Kind.NOMINATED: _("【%(collab)s】%(who)s 将您设为%(role)s"),
    Kind.NOMINATION_DECLINED: _("【%(collab)s】%(who)s 拒绝担任%(role)s"),
    Kind.MEETING_INVITATION: _("【%(collab)s】会议邀请:%(meeting)s(%(when)s)"),
    Kind.MEETING_UPDATED: _("【%(collab)s】会议更新:%(meeting)s(%(when)s)"),
    Kind.MEETING_CANCELLED: _("【%(collab)s】会议取消:%(meeting)s(%(when)s)"),
    Kind.TASK_ASSIGNED: _("【%(collab)s】%(who)s 将任务分配给您"),
    Kind.MENTIONED: _("【%(collab)s】%(who)s 在评论中提到了您"),
    Kind.COMMENTED: _("【%(collab)s】%(who)s 评论了您关注的%(target)s"),
}

BODIES: dict[str, Promise] = {
    Kind.AGENDA_DUE: _(
        "%(meeting)s定于 %(when)s 召开,议程及背景资料须在会前 3 天(%(deadline)s 前)发送给全体参会人员。"
    ),
    Kind.MINUTES_DUE: _("%(meeting)s(%(when)s)已结束,请在 %(deadline)s 前输出会议纪要并发送各部门确认。"),
    Kind.MINUTES_OVERDUE: _("%(meeting)s(%(when)s)的会议纪要应在 %(deadline)s 前输出,至今仍未输出。"),
    Kind.CONFIRMATION_PENDING: _(
        "%(meeting)s的会议纪要(第 %(revision)s 版)已发出,请代表%(department)s确认。"
    ),
    Kind.WEEKLY_UPDATE_DUE: _("周例会将于 %(when)s 召开,%(department)s本周尚未更新任务进度,请在会前更新。"),
    Kind.TASK_DUE_SOON: _("%(department)s的任务“%(task)s”将于 %(deadline)s 到期。"),
    Kind.TASK_OVERDUE: _("%(department)s的任务“%(task)s”已于 %(deadline)s 到期,仍未完成。"),
    Kind.ESCALATION: _(
        "%(department)s的任务“%(task)s”已阻塞 %(days)s 个工作日(原因:%(reason)s;等待:%(waiting_on)s),"
        "按规则升级至第 %(level)s 级,请协调解决。"
    ),
    Kind.SLA_AT_RISK: _("%(department)s应答复的请求“%(subject)s”即将超时(时限 %(deadline)s)。"),
    Kind.SLA_BREACHED: _("%(department)s应答复的请求“%(subject)s”已超过时限(%(deadline)s),仍未答复。"),
    Kind.OCCURRENCE_MISSED: _("%(department)s的周期子目标“%(subgoal)s”在 %(when)s 未按时完成。"),
    Kind.NOMINATED: _(
        "%(who)s 将您设为「%(collab)s」的%(role)s。请接受或拒绝:在您接受或参与这项协作之前,不会收到它的提醒。"
    ),
    Kind.NOMINATION_DECLINED: _("%(who)s 拒绝担任「%(collab)s」的%(role)s,已从该角色中移除。"),
    Kind.MEETING_INVITATION: _(
        "诚邀您参加%(meeting)s,时间 %(when)s,地点 %(location)s。会议议程及背景资料如下,请提前准备;"
        "日历邀请随邮件附上。"
    ),
    Kind.MEETING_UPDATED: _(
        "%(meeting)s已更新:时间 %(when)s,地点 %(location)s。以下为最新的会议议程及背景资料;"
        "日历邀请随邮件更新。"
    ),
    Kind.MEETING_CANCELLED: _("您已不在%(meeting)s(%(when)s)的参会人之列,日历中的这次会议已取消。"),
    Kind.TASK_ASSIGNED: _("任务“%(task)s”已分配给您,时间节点:%(deadline)s。"),
    Kind.MENTIONED: _("%(who)s 在%(target)s“%(title)s”的评论中提到了您:%(excerpt)s"),
    Kind.COMMENTED: _("%(who)s 评论了%(target)s“%(title)s”:%(excerpt)s"),
}

# The whole meeting was cancelled (取消会议), not only someone's place in it: said with the reason.
MEETING_CALLED_OFF = _("%(meeting)s(原定 %(when)s)已取消,原因:%(reason)s。日历中的这次会议已随邮件取消。")

# The lines under an invitation's text: its agenda, then its materials with their links.
AGENDA_HEADING = _("会议议程:")
MATERIALS_HEADING = _("背景资料:")

# A role someone is named to, with the department it is held for.
ROLE_IN_DEPARTMENT = _("%(department)s%(role)s")

# The kind of row a comment is on (params "target" of MENTIONED / COMMENTED), in the reader's language.
COMMENT_TARGETS: dict[str, Promise] = {
    "task": _("任务"),
    "subgoal": _("部门子目标"),
    "issue": _("问题"),
    "risk": _("风险"),
    "minutes_item": _("纪要条目"),
}
# A mention told to the group (its robots): who asked whom, not "you".
GROUP_MENTIONED_SUBJECT = _("【%(collab)s】%(who)s 在评论中提到了 %(people)s")
GROUP_MENTIONED_BODY = _("%(who)s 在%(target)s“%(title)s”的评论中提到了 %(people)s:%(excerpt)s")


# A scheme ("http://", "https://", "ftp://" …) and a dot before a top-level-domain-like word
# ("evil.com", "www.evil.com.cn"): what mail clients and IM apps turn into links on their own.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_DOMAIN_DOT = re.compile(r"(?<=[A-Za-z0-9-])\.(?=[A-Za-z]{2,}(?![A-Za-z]))")
# Markdown that makes links, images, autolinks and HTML: replaced by look-alikes that are plain text
# in every robot's dialect (backslash escapes are not read by all of them).
_MARKDOWN = str.maketrans({"[": "［", "]": "］", "<": "‹", ">": "›"})


def defang(text: str) -> str:
    """``text`` written by people, with no address left that a mail client or IM app would make a link.

    ``http://evil.com/x`` becomes ``http[:]//evil[.]com/x``: still readable,
    never clickable. Only people's text goes through here; the product's own
    link in each message stays a link.
    """
    return _DOMAIN_DOT.sub("[.]", _SCHEME.sub(r"\1[:]//", text))


def markdown_text(text: str) -> str:
    """People's text for a robot's Markdown: defanged, and no ``[a](b)``, ``![a](b)`` or ``<url>``."""
    return defang(text).translate(_MARKDOWN)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    url: str  # absolute: the message leaves the site
    language: str
    # The same words with people's text made safe for Markdown (robots).
    markdown_subject: str = ""
    markdown_body: str = ""
    # Lines after the body (an invitation's agenda and materials), as text and as Markdown.
    details: tuple[str, ...] = ()
    markdown_details: tuple[str, ...] = ()
    # A reminder mail's link that stops its kind for its reader (set by the mail transport only).
    unsubscribe: str = ""

    def _layout(self, template: str) -> str:
        with translation.override(self.language):
            return render_to_string(template, {"message": self})

    def text(self) -> str:
        return self._layout("notify/message.txt")

    def html(self) -> str:
        return self._layout("notify/message.html")

    def markdown(self, limit: int | None = None) -> str:
        """The message as Markdown for a group robot, cut to ``limit`` bytes with the link kept."""
        full = self._layout("notify/message.md").strip()
        if limit is None or len(full.encode()) <= limit:
            return full
        with translation.override(self.language):
            link = f"\n\n[{translation.gettext('查看详情')}]({self.url})"
        room = limit - len(link.encode()) - len("…".encode())
        head = full.encode()[: max(room, 0)].decode(errors="ignore")
        return head + "…" + link


def _values(params: dict[str, Any], safe: Callable[[str], str]) -> dict[str, Any]:
    """The message's values in the reader's language, people's text passed through ``safe``."""
    if not params.get("meeting") and params.get("meeting_kind") in MeetingKind.values:
        # An untitled meeting is named by its kind, in the reader's language (启动会 / Kickoff).
        params = {**params, "meeting": str(MeetingKind(params["meeting_kind"]).label)}
    values = {k: safe(v) if isinstance(v, str) else v for k, v in params.items()}
    if params.get("role") in NominationRole.values:
        role = str(NominationRole(params["role"]).label)
        department = values.get("department")
        if department and params["role"] != NominationRole.OWNER:  # the owner's is in the label
            role = str(ROLE_IN_DEPARTMENT) % {"department": department, "role": role}
        values["role"] = role
    if params.get("target") in COMMENT_TARGETS:
        values["target"] = str(COMMENT_TARGETS[params["target"]])
    return values


def _format(text: Promise, values: dict[str, Any]) -> str:
    try:
        return str(text) % values
    except (KeyError, TypeError, ValueError):
        # A notification written by an older release may miss a newer placeholder.
        return str(text)


def _details(params: dict[str, Any], safe: Callable[[str], str], *, markdown: bool) -> tuple[str, ...]:
    """An invitation's agenda (people's text, made ``safe``) and its materials' links (the site's own)."""
    if not isinstance(params.get("invitation"), int):
        return ()
    agenda = [str(t) for t in params.get("agenda") or [] if isinstance(t, str)]
    materials = [m for m in params.get("materials") or [] if isinstance(m, list) and len(m) == 2]
    lines: list[str] = []
    if agenda:
        lines.append(str(AGENDA_HEADING))
        lines += [f"{i}. {safe(title)}" for i, title in enumerate(agenda, start=1)]
    if materials:
        lines.append(str(MATERIALS_HEADING))
        for name, path in materials:
            url = settings.SITE_URL + str(path)
            lines.append(f"- [{safe(str(name))}]({url})" if markdown else f"- {safe(str(name))}:{url}")
    return tuple(lines)


def language_of(notification: Notification) -> str:
    person = notification.recipient
    return (person.language if person is not None and person.language else "") or settings.LANGUAGE_CODE


def render(notification: Notification, language: str | None = None) -> Message:
    """The notification's message in ``language`` (default: its recipient's)."""
    language = language or language_of(notification)
    with translation.override(language):
        plain = _values(notification.params, defang)
        marked = _values(notification.params, markdown_text)
        subject, body = SUBJECTS[notification.kind], BODIES[notification.kind]
        if notification.kind == Kind.MEETING_CANCELLED and "reason" in notification.params:
            body = MEETING_CALLED_OFF
        if notification.kind == Kind.MENTIONED and "people" in notification.params:
            subject, body = GROUP_MENTIONED_SUBJECT, GROUP_MENTIONED_BODY
        return Message(
            subject=_format(subject, plain),
            body=_format(body, plain),
            url=settings.SITE_URL + notification.link,
            language=language,
            markdown_subject=_format(subject, marked),
            markdown_body=_format(body, marked),
            details=_details(notification.params, defang, markdown=False),
            markdown_details=_details(notification.params, markdown_text, markdown=True),
        )
