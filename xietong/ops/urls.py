"""Operations pages: health and readiness (no sign-in), metrics, the staff's backup page."""

from django.urls import URLPattern, path

from xietong.ops import views

app_name = "ops"
urlpatterns: list[URLPattern] = [
    path("ops/", views.ops_page, name="page"),  # the staff's 运维 page: scheduled backups
]

# Health, readiness and metrics (docs/operations.md, "Monitoring"): for probes, no sign-in.
from xietong.ops import health_views, metrics_views  # noqa: E402

urlpatterns += [
    path("healthz", health_views.healthz, name="healthz"),
    path("readyz", health_views.readyz, name="readyz"),
    path("metrics", metrics_views.metrics, name="metrics"),
]
