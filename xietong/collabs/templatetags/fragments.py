"""``{% fragment key "name" %}…{% endfragment %}``: render a part of a page once per version.

``key`` names what the part shows (``Workspace.fragment_key``: the
collaboration's version, the minute, the viewer's roles and language); an
empty key renders without caching (a page showing a form, say). The part is
cached with a placeholder where the CSRF token goes and each response puts
its own token in, so forms inside a cached part stay valid for every viewer.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.cache import cache
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Stands in for the CSRF token inside a cached part (letters only: no escaping changes it).
TOKEN_PLACEHOLDER = "xietongcsrftokenplaceholder"


class FragmentNode(template.Node):
    def __init__(self, nodelist: NodeList, key: FilterExpression, name: FilterExpression) -> None:
        self.nodelist = nodelist
        self.key = key
        self.name = name

    def render(self, context: Context) -> SafeString:
        key = self.key.resolve(context)
        if not key:
            return mark_safe(self.nodelist.render(context))
        cache_key = f"{key}:fragment:{self.name.resolve(context)}"
        html = cache.get(cache_key)
        if html is None:
            with context.push(csrf_token=TOKEN_PLACEHOLDER):
                html = self.nodelist.render(context)
            cache.set(cache_key, html, settings.XIETONG_SNAPSHOT_SECONDS)
        token = context.get("csrf_token")
        return mark_safe(html.replace(TOKEN_PLACEHOLDER, str(token) if token else ""))


@register.tag
def fragment(parser: Parser, token: Token) -> FragmentNode:
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError("usage: {% fragment key name %}…{% endfragment %}")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, parser.compile_filter(bits[1]), parser.compile_filter(bits[2]))
