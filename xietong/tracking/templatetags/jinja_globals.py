"""What the weekly list's Jinja2 templates (``xietong/jinja2/tracking/``) use beyond ``xietong.lib.jinja``.

Lent to the templates as globals by ``TrackingConfig.ready``; they do what the
Django filters of the same rows did, so both renderings read alike (dates:
the ``date`` filter of xietong.lib.jinja, ``local_date``).
"""

from __future__ import annotations

from django.template.defaultfilters import linebreaksbr as linebreaksbr_filter
from django.utils.safestring import SafeString

from xietong.tracking.weekly import STATUS_NAMES


class _Names(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return key  # as ``Row.status_name``: an unknown status shows as itself


def translated_status_names() -> dict[str, str]:
    """Each row status's name in the active language: translated once for a list, not once a row."""
    return _Names({status: str(name) for status, name in STATUS_NAMES.items()})


def linebreaksbr(value: str) -> SafeString:
    """Django's ``{{ value|linebreaksbr }}``: escaped, each line break a ``<br>``."""
    return linebreaksbr_filter(value, autoescape=True)
