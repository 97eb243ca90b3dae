from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "xietong.dashboards"
    label = "dashboards"
    verbose_name = _("看板")

    def ready(self) -> None:
        from django.utils.html import json_script

        from xietong.collabs.templatetags.xietong import num
        from xietong.dashboards.markup import timeline_rows
        from xietong.lib.jinja import register

        # The dashboard's Jinja2 parts (xietong/jinja2/dashboards/) print numbers and chart data
        # as the Django filters of the same names do.
        register("num", num)
        register("json_script", json_script)
        register("timeline_rows", timeline_rows)
