"""Operations pages: the staff's 运维 page; health, readiness and metrics for probes (no sign-in)."""

from django.urls import URLPattern, path

from xietong.ops import health_views, metrics_views, views

app_name = "ops"
urlpatterns: list[URLPattern] = [
    path("ops/", views.ops_page, name="page"),  # scheduled backups, the backup folder's disk
    # docs/operations.md, "Monitoring"
    path("healthz", health_views.healthz, name="healthz"),
    path("readyz", health_views.readyz, name="readyz"),
    path("metrics", metrics_views.metrics, name="metrics"),
]
