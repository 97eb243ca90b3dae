"""Stub."""

from django.http import HttpRequest, HttpResponse



def home(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


def new(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


def workspace(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")
