"""``xietong export``: write a stored collaboration as a charter, a table or a document.

- ``xietong export SLUG [-o FILE]``: the charter as JSON (format v1), as before;
- ``xietong export SLUG --what table|subgoals|weekly|minutes|issues|risks
  [--format xlsx|csv|docx|md] -o FILE``: a table or document (the format
  defaults to the file's extension, else the first one the table offers);
  ``--week 2024-W32`` for the weekly list (default: this week), ``--meeting
  ID`` for the minutes (default: the kickoff's);
- ``xietong export --template -o FILE``: the empty charter Excel template.

Text formats (JSON, CSV, Markdown) go to standard output without ``-o``;
the binary ones (xlsx, docx) need a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.charter.format import dump_charter
from xietong.charter.store import charter_snapshot
from xietong.collabs.models import Collaboration
from xietong.documents.exports import WHAT_FORMATS, ExportRefused, export
from xietong.lib.cli import fail
from xietong.meetings.models import Meeting
from xietong.tracking.weekly import IsoWeek

BINARY_FORMATS = {"xlsx", "docx"}


class Command(BaseCommand):
    help = (
        "Export a collaboration as a charter (JSON, format v1), a table (xlsx, csv, md) or a document (docx)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
        parser.add_argument("--what", help="what to export: " + ", ".join(WHAT_FORMATS))
        parser.add_argument(
            "--format", dest="fmt", help="xlsx, csv, docx or md (default: from the file name)"
        )
        parser.add_argument(
            "--week", help="the weekly list's ISO week, such as 2024-W32 (default: this week)"
        )
        parser.add_argument("--meeting", type=int, help="the meeting whose minutes (default: the kickoff)")
        parser.add_argument("--template", action="store_true", help="write the empty charter Excel template")

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path | None = options["output"]
        if options["template"]:
            from xietong.documents.workbook import template_bytes

            self._write(template_bytes(), output, binary=True)
            return
        if not options["slug"]:
            fail(_("请指定协作的标识(或用 --template 导出模板)"))
        stored = (
            Collaboration.objects.select_related("initiator_department", "owner")
            .filter(slug=options["slug"])
            .first()
        )
        if stored is None:
            fail(_("没有标识为 %(slug)s 的协作") % {"slug": options["slug"]})
        if not options["what"]:
            if options["fmt"] or options["week"] or options["meeting"] is not None:
                fail(_("--format、--week 和 --meeting 需与 --what 一起使用"))
            text = json.dumps(dump_charter(charter_snapshot(stored)), ensure_ascii=False, indent=2) + "\n"
            self._write(text.encode("utf-8"), output, binary=False)
            return
        self._export(stored, options, output)

    def _export(self, collab: Collaboration, options: dict[str, Any], output: Path | None) -> None:
        what: str = options["what"]
        fmt: str | None = options["fmt"]
        if fmt is None:
            suffix = output.suffix.lstrip(".").lower() if output else ""
            offered = WHAT_FORMATS.get(what, ())
            fmt = suffix if suffix in offered else (offered[0] if offered else suffix)
        week = None
        if options["week"]:
            try:
                week = IsoWeek.parse(options["week"])
            except ValueError:
                fail(_("无法识别的周:%(week)s(应为 2024-W32 这样的写法)") % {"week": options["week"]})
        meeting = None
        if options["meeting"] is not None:
            meeting = Meeting.objects.filter(pk=options["meeting"], collaboration=collab).first()
            if meeting is None:
                fail(_("该协作没有编号为 %(id)s 的会议") % {"id": options["meeting"]})
        try:
            document = export(collab, what, fmt, week=week, meeting=meeting)
        except ExportRefused as refused:
            fail(str(refused))
        self._write(document.data, output, binary=fmt in BINARY_FORMATS)

    def _write(self, data: bytes, output: Path | None, *, binary: bool) -> None:
        if output is not None:
            try:
                output.write_bytes(data)
            except OSError as exc:
                fail(f"{output}: {exc.strerror}")
            return
        if binary:
            fail(_("Excel 和 Word 文件请用 -o 指定要写入的文件"))
        self.stdout.write(data.decode("utf-8"), ending="")
