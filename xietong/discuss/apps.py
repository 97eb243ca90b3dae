from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussConfig(AppConfig):
    name = "xietong.discuss"
    verbose_name = _("评论")
