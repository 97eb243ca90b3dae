"""``{% export_links slug "table" %}``: the download links of one export, in every format it has."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from xietong.documents.exports import WHAT_FORMATS

register = template.Library()

FORMAT_NAMES = {"xlsx": "Excel", "csv": "CSV", "docx": "Word", "md": "Markdown"}


@register.inclusion_tag("documents/_export_links.html")
def export_links(slug: str, what: str, week: Any = None, meeting: Any = None) -> dict[str, Any]:
    query = {k: str(v) for k, v in (("week", week), ("meeting", meeting)) if v not in (None, "")}
    suffix = "?" + urlencode(query) if query else ""
    links = [
        (FORMAT_NAMES.get(fmt, fmt), reverse("documents:download", args=[slug, what, fmt]) + suffix)
        for fmt in WHAT_FORMATS.get(what, ())
    ]
    return {"links": links, "label": _("下载")}
