"""Stub."""

from django.http import HttpRequest, HttpResponse



def table(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


def new_row(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


def row(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


def edit_row(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


def delete_row(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


def move_row(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")
