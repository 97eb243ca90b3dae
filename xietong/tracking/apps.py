from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "xietong.tracking"
    label = "tracking"
    verbose_name = _("跟踪与收尾")
