from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollabsConfig(AppConfig):
    name = "xietong.collabs"
    label = "collabs"
    verbose_name = _("跨部门协作")
