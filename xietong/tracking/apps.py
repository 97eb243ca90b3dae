from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "xietong.tracking"
    label = "tracking"
    verbose_name = _("跟踪与收尾")

    def ready(self) -> None:
        from xietong.lib.jinja import register
        from xietong.tracking.templatetags.jinja_globals import (
            linebreaksbr,
            translated_status_names,
        )

        # The weekly list's rows (xietong/jinja2/tracking/) format as the Django templates did.
        register("linebreaksbr", linebreaksbr)
        register("translated_status_names", translated_status_names)
