from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussConfig(AppConfig):
    name = "xietong.discuss"
    verbose_name = _("评论")

    def ready(self) -> None:
        from xietong.discuss.templatetags.discuss import disclosure, disclosure_values
        from xietong.lib.jinja import register

        # The rows' Jinja2 templates show the "评论 (n)" disclosure as the Django pages do; the
        # responsibility table's cached rows key on what it shows (collabs/rowcache.py).
        register("comments_of", disclosure)
        register("comment_disclosure", disclosure_values)
