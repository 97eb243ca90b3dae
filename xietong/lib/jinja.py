"""Jinja2, the second template engine: the hot parts of long pages (rows by the hundred).

Django's template language resolves every ``{{ row.task.pk }}`` by trying a
dict lookup, an attribute, a list index and a call in turn, and every
``{% include %}`` and ``{% url %}`` costs a node walk and a reverse: for a
responsibility table of 200 rows that is tens of thousands of lookups, about
nine tenths of a cold page (docs/performance.md, "Cold pages"). Jinja2
compiles a template to Python once, so the same row costs a fraction.

Pages stay Django templates; a part that repeats per row is a ``.jinja``
template under ``xietong/jinja2/`` and is rendered from a Django template with
``{% jinja "name.jinja" key=value … %}`` (``collabs/templatetags/xietong.py``).
What a Jinja2 template can use, kept to what the rows need:

- ``_("…")``, ``gettext`` and ``ngettext`` (newstyle: ``_("%(n)s 人", n=3)``):
  Django's own translations, the English catalogue included. Makemessages
  reads no ``.jinja`` file: ``tests/test_i18n.py`` checks their strings are in
  the catalogue.
- ``url(name, *args)``: Django's ``reverse``, with integer arguments filled in
  a pattern reversed once per process (``fast_reverse``).
- Filters ``date`` (a Django date format, a moment in the active time zone;
  also the global ``local_date(value, fmt)``), ``truncatechars``, ``enumeration``.
- ``static(path)``; what apps lend with ``register`` (``comments_of``).
- ``csrf_input`` (the hidden field of Django's ``{% csrf_token %}``) and
  ``request``: passed in by the tag from the page's context, so a cached part
  keeps its token placeholder (``collabs/templatetags/fragments.py``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.template import engines
from django.template.defaultfilters import date as date_filter
from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.timezone import is_aware, localtime
from django.utils.translation import get_language, gettext, ngettext, trans_real
from jinja2 import Environment
from jinja2.ext import Extension

# Functions apps lend the templates (``register``): xietong.lib imports no app.
_GLOBALS: dict[str, Any] = {}
_ENVIRONMENTS: list[Environment] = []

# Integer URL arguments are reversed as these, then replaced: no real id is this long.
_SENTINELS = tuple(str(900_000_000_001 + i) for i in range(8))


@lru_cache(maxsize=1024)
def _pattern(name: str, shape: tuple[str | None, ...]) -> str:
    """Reverse ``name`` once with each integer argument as a sentinel (``shape``: the other arguments)."""
    args = [_SENTINELS[i] if value is None else value for i, value in enumerate(shape)]
    return reverse(name, args=args)


def fast_reverse(name: str, *args: Any) -> str:
    """Return ``reverse(name, args=args)``, reversing only once per name and non-integer arguments.

    ``reverse`` walks the URL resolver on every call (tens of microseconds);
    a row links to its edit, move, delete, assign and watch URLs, which differ
    only by the row's id. Strings (a slug) stay part of the pattern's key.
    """
    shape = tuple(None if isinstance(a, int) and not isinstance(a, bool) else str(a) for a in args)
    url = _pattern(name, shape)
    for i, value in enumerate(args):
        if shape[i] is None:
            url = url.replace(_SENTINELS[i], str(value), 1)
    return url


# Format characters written here without Django's formatter (a list shows hundreds of dates):
# all numeric and the same in every language.
_NUMERIC = {
    "Y": lambda v: f"{v.year:04d}",
    "m": lambda v: f"{v.month:02d}",
    "d": lambda v: f"{v.day:02d}",
    "H": lambda v: f"{v.hour:02d}",
    "i": lambda v: f"{v.minute:02d}",
}
_DAY_ONLY = frozenset("Ymd- ")
_MOMENT = frozenset("YmdHi-: ")


def local_date(value: date | datetime | None, fmt: str) -> str:
    """Django's ``{{ value|date:fmt }}``: a moment in the active time zone, "" for None.

    Django's templates convert a moment to the active time zone before the
    filter (a moment read from PostgreSQL is in UTC); so does this. Numeric
    formats are written without Django's formatter (a list shows hundreds).
    """
    if not value:
        return ""
    if isinstance(value, datetime):
        if settings.USE_TZ and is_aware(value):
            value = localtime(value)  # what Django's templates do before the filter
        fast = _MOMENT.issuperset(fmt)
    else:
        fast = _DAY_ONLY.issuperset(fmt)
    if not fast:
        return date_filter(value, fmt)
    return "".join(_NUMERIC[c](value) if c in _NUMERIC else c for c in fmt)


def _truncatechars(value: object, length: int) -> str:
    text = unicodedata.normalize("NFC", str(value))
    # Short enough: what Truncator returns, without its per-character walk.
    return text if len(text) <= length else Truncator(text).chars(length)


def enumeration(items: Iterable[object]) -> str:
    """Join ``items`` with the active language's list separator (、 in Chinese, ", " in English)."""
    return gettext("、").join(str(item) for item in items)


def register(name: str, function: Any) -> None:
    """Lend the Jinja2 templates ``function`` as ``name`` (an app's ``ready``: ``comments_of`` of discuss)."""
    _GLOBALS[name] = function
    for env in _ENVIRONMENTS:  # made before the app was ready (a test's own engine, say)
        env.globals[name] = function


# ``_("…")`` with a plain literal (no escapes, no placeholders, no variables).
_LITERAL = re.compile(r"""\b_\((["'])([^"'\\%]*)\1\)""")


class FoldedTranslations(Extension):
    """Compile ``_("literal")`` to its translation in an environment of one language.

    A row template says 编辑, 删除, 上移 … a dozen times per row: looked up at
    render time that is a dozen calls through the i18n extension per row. An
    environment of ``localized()`` serves one language, so the text is fixed
    when the template is compiled (a JSON string literal, which Jinja reads with
    the same escapes). Calls with variables (``_("第 %(n)s 行", n=…)``) stay calls.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        translate = getattr(self.environment, "fold_gettext", None)
        if translate is None:
            return source
        return _LITERAL.sub(lambda match: json.dumps(translate(match.group(2))), source)


class _Environment(Environment):
    """Jinja2's environment, reading ``row.task`` of a dict as a key first, as Django's templates do.

    Jinja2 tries the attribute first: on a dict (a row of the table is one)
    that raises and catches an AttributeError at every ``row.x``.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def lent(name: str) -> Any:
    """What an app lent the templates as ``name`` (``register``), for Python that draws the same parts."""
    return _GLOBALS[name]


def _environment(
    options: dict[str, Any], gettext: Any, ngettext: Any, *, folded: bool = False
) -> Environment:
    env = _Environment(extensions=["jinja2.ext.i18n", FoldedTranslations], **{"autoescape": True, **options})
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    if folded:
        env.fold_gettext = gettext  # type: ignore[attr-defined]
    env.globals.update(url=fast_reverse, static=static, local_date=local_date, **_GLOBALS)
    env.filters.update(date=local_date, truncatechars=_truncatechars, enumeration=enumeration)
    _ENVIRONMENTS.append(env)
    return env


_OPTIONS: dict[str, Any] = {}


def environment(**options: Any) -> Environment:
    """The Jinja2 environment of ``settings.TEMPLATES`` (Django's Jinja2 backend calls it)."""
    _OPTIONS.update(options)
    return _environment(options, gettext, ngettext)


@cache
def _in_language(language: str) -> Environment:
    # Django's gettext finds the active language's catalogue on every call (a context-local
    # lookup, about a third of a row's time): bound to the catalogue once instead.
    # The strings of templates are few and fixed: each is looked up once per process.
    catalogue = trans_real.translation(language)
    return _environment(
        _OPTIONS, lru_cache(4096)(catalogue.gettext), lru_cache(4096)(catalogue.ngettext), folded=True
    )


def localized() -> Environment:
    """The environment for the active language (the ``jinja`` tag's): its own compiled templates."""
    if not _OPTIONS:
        engines["jinja2"]  # the backend calls ``environment`` with the settings' options
    return _in_language(get_language() or settings.LANGUAGE_CODE)
