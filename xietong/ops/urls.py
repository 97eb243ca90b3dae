"""Operations pages: health and readiness (no sign-in), metrics, the staff's backup page."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
