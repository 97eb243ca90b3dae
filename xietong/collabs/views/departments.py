"""Stub."""

from django.http import HttpRequest, HttpResponse



def departments(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


def remove(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")
