from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussConfig(AppConfig):
    name = "xietong.discuss"
    verbose_name = _("评论")

    def ready(self) -> None:
        from xietong.discuss.templatetags.discuss import disclosure
        from xietong.lib.jinja import register

        # The rows' Jinja2 templates show the "评论 (n)" disclosure as the Django pages do.
        register("comments_of", disclosure)
