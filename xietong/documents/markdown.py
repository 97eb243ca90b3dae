"""Markdown for pasting into an IM group (企业微信 / 钉钉 / 飞书): short, bulleted, with the page's link.

Group chats render little of Markdown and nothing of its tables, so every
export is a bold title, a line of counts, a few bulleted rows and the link
to the page on the site (``SITE_URL`` + path) where the rest is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xietong.documents.word import MinutesDoc
from xietong.tracking.weekly import GROUP_NAMES, GROUP_ORDER, Group, Row, WeeklyList

MD_TYPE = "text/markdown; charset=utf-8"
# At most this many rows per list: an IM message is read on a phone.
MAX_ITEMS = 30
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def escape(text: str) -> str:
    """Return ``text`` on one line, with what Markdown would read as markup escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def bullets(items: Sequence[str]) -> list[str]:
    lines = [f"- {item}" for item in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        lines.append(_("- ……另有 %(n)s 项,见页面") % {"n": len(items) - MAX_ITEMS})
    return lines


def document(title: str, summary: str, sections: Iterable[tuple[str, Sequence[str]]], url: str) -> str:
    """Return a message: the bold title, a summary line, the non-empty sections, the link."""
    lines = [f"**{escape(title)}**"]
    if summary:
        lines.append(summary)
    for heading, items in sections:
        if not items:
            continue
        lines.append("")
        if heading:
            lines.append(f"**{escape(heading)}**")
        lines.extend(bullets(items))
    lines += ["", _("详情:%(url)s") % {"url": url}]
    return "\n".join(lines) + "\n"


def _group_name(group: Group) -> str:
    return str(GROUP_NAMES[group])


def _weekly_row(row: Row) -> str:
    parts = [escape(row.description) or "—", escape(row.department) or "—"]
    if row.deadline:
        parts.append(_("截止 %(day)s") % {"day": row.deadline.isoformat()})
    if row.group in {Group.IN_PROGRESS, Group.BLOCKED, Group.OVERDUE}:
        parts.append(f"{row.percent}%")
    if row.overdue:
        parts.append(_("逾期 %(n)s 天") % {"n": row.overdue_days})
    if row.blocker is not None:
        if row.blocker.reason:
            parts.append(_("阻塞原因:%(reason)s") % {"reason": escape(row.blocker.reason)})
        if row.blocker.waiting_on:
            parts.append(_("等待%(department)s") % {"department": escape(row.blocker.waiting_on)})
        if row.blocker.level:
            parts.append(str(row.blocker.level_name))
    return " · ".join(parts)


def weekly(title: str, weekly_list: WeeklyList, url: str, remarks: str = "") -> str:
    """Return the weekly progress list: counts, then the rows that need attention, then who did not report."""
    totals = weekly_list.totals
    summary = " · ".join(f"{_group_name(g)} {totals.of(g)}" for g in GROUP_ORDER)
    by_group: dict[Group, list[str]] = {g: [] for g in GROUP_ORDER}
    for row in weekly_list.rows:
        by_group[row.group].append(_weekly_row(row))
    sections: list[tuple[str, Sequence[str]]] = [
        (_group_name(g), by_group[g]) for g in (Group.OVERDUE, Group.BLOCKED, Group.IN_PROGRESS)
    ]
    sections.append((_("未汇报的部门"), [escape(name) for name in weekly_list.not_reported if name]))
    sections.append((_("待汇报的部门"), [escape(name) for name in weekly_list.pending if name]))
    if remarks:
        sections.append((_("发起部门备注"), [escape(remarks)]))
    heading = _("%(title)s · 周进度清单 %(week)s") % {"title": title, "week": weekly_list.week}
    return document(heading, summary, sections, url)


def minutes(doc: MinutesDoc, url: str) -> str:
    """Return the minutes: when and where, decisions, action items, open issues, who confirmed."""
    when = doc.scheduled_at.strftime("%Y-%m-%d %H:%M") if doc.scheduled_at else "—"
    summary_parts = [when]
    if doc.location:
        summary_parts.append(escape(doc.location))
    if doc.revision:
        summary_parts.append(_("纪要第 %(n)s 版") % {"n": doc.revision})
    confirmed = sum(1 for c in doc.confirmations if c.confirmed_at is not None)
    summary_parts.append(
        _("已确认 %(done)s/%(all)s 个部门") % {"done": confirmed, "all": len(doc.confirmations)}
    )
    actions = []
    for item in doc.actions:
        parts = [escape(item.text), escape(item.department) or "—"]
        if item.deadline:
            parts.append(_("截止 %(day)s") % {"day": item.deadline.isoformat()})
        actions.append(" · ".join(parts))
    waiting = [escape(c.department) for c in doc.confirmations if c.confirmed_at is None]
    proxied = [f"{escape(c.department)} · {escape(c.who)}" for c in doc.confirmations if c.by_proxy]
    sections: list[tuple[str, Sequence[str]]] = [
        (_("决议"), [escape(i.text) for i in doc.decisions]),
        (_("行动项"), actions),
        (_("待决问题"), [escape(i.text) for i in doc.issues]),
        (_("尚未确认"), waiting),
        (pgettext("heading", "代确认"), proxied),
    ]
    heading = f"{doc.collab_title} · {doc.title}"
    return document(heading, " · ".join(summary_parts), sections, url)
