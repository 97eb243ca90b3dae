"""The API's JSON renderer, in a module of its own so that routers can render without importing the API."""

from ninja.renderers import JSONRenderer


class Utf8Renderer(JSONRenderer):
    """JSON as UTF-8 text: Chinese stays readable in a terminal, not \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


# The one instance: the API answers with it, and cached pages are rendered by it too.
RENDERER = Utf8Renderer()
