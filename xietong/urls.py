from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from xietong.api.api import api
from xietong.orgs.views import set_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("xietong.signin.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # allauth after Django's own: its company sign-in flows (/accounts/oidc/…, /accounts/wecom/…),
    # the second factor (/accounts/2fa/…); /accounts/login/ and /accounts/logout/ stay the ones above.
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("xietong.ops.urls")),
    path("", include("xietong.api.urls")),
    path("", include("xietong.dashboards.urls")),
    path("", include("xietong.meetings.urls")),
    path("", include("xietong.tracking.urls")),
    path("", include("xietong.notify.urls")),
    path("", include("xietong.documents.urls")),
    path("", include("xietong.discuss.urls")),  # comment threads of rows (docs/comments.md)
    path("", include("xietong.orgs.urls")),
    path("", include("xietong.collabs.urls")),
]
# Reference views for `make bench` only (docs/benchmarks.md).
if settings.XIETONG_BENCH_VIEWS:
    urlpatterns.insert(0, path("", include("xietong.bench.urls")))
