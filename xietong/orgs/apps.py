from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "xietong.orgs"
    label = "orgs"
    verbose_name = _("组织")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from xietong.orgs.sessions import on_logged_out

        # Signing out ends the person's other sessions too (docs/security.md, "Sessions").
        user_logged_out.connect(on_logged_out, dispatch_uid="xietong.orgs.sessions.on_logged_out")
