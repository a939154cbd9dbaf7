"""`{% fragment "name" fresh="client_key" %} … {% endfragment %}`: a page's content cached on
the version of the data (`kaohe.core.fragments`).

On a miss the view's `build` (a callable in the context, if any) is called and its dict pushed
into the context, so a hit runs none of the view's queries. What must differ per request is
rendered as placeholders and filled in on every answer: the CSRF token of the reader's session
and the context variables named in `fresh` (comma-separated, e.g. a form's one-time key).
"""

from __future__ import annotations

import secrets
from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from kaohe.core import fragments

register = template.Library()
_PLACEHOLDER = "kaohe-fresh-" + secrets.token_hex(8) + "-"


class FragmentNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: Any, fresh: Any) -> None:
        self.nodelist = nodelist
        self.name = name
        self.fresh = fresh

    def render(self, context: template.Context) -> SafeString:
        request = context.get("request")
        name = str(self.name.resolve(context))
        fresh = ["csrf_token"]
        if self.fresh is not None:
            fresh += [f.strip() for f in str(self.fresh.resolve(context)).split(",") if f.strip()]
        placeholders = {f: f"{_PLACEHOLDER}{f}" for f in fresh}

        def build() -> str:
            maker = context.get("build")
            extra = maker() if callable(maker) else {}
            with context.push(**extra), context.push(**placeholders):
                return self.nodelist.render(context)

        html = build() if request is None else fragments.cached(request, f"page:{name}", build)
        for variable, placeholder in placeholders.items():
            value = context.get(variable, "")
            html = html.replace(placeholder, str(conditional_escape(str(value))))
        return mark_safe(html)  # rendered by the template engine, escaped there


@register.tag
def fragment(parser: template.base.Parser, token: template.base.Token) -> FragmentNode:
    bits = token.split_contents()
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError('usage: {% fragment "name" [fresh="a,b"] %}')
    name = parser.compile_filter(bits[1])
    fresh = None
    if len(bits) == 3:
        keyword, _, value = bits[2].partition("=")
        if keyword != "fresh" or not value:
            raise template.TemplateSyntaxError('usage: {% fragment "name" [fresh="a,b"] %}')
        fresh = parser.compile_filter(value)
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, name, fresh)
