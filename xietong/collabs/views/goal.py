"""Stub."""

from django.http import HttpRequest, HttpResponse



def goal(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


def smart(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")
