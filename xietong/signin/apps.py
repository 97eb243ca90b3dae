from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "xietong.signin"
    label = "signin"
    verbose_name = _("登录方式")
