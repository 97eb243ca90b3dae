from django import template

from xietong.signin.methods import Method, configured_methods

register = template.Library()


@register.simple_tag
def signin_methods() -> list[Method]:
    """The company sign-in methods configured, for the login and invitation pages."""
    return configured_methods()


@register.simple_tag(takes_context=True)
def must_set_up_mfa(context: template.Context) -> bool:
    """Whether the person on the page is staff held until they turn a second factor on."""
    from django.conf import settings

    user = getattr(context.get("request"), "user", None)
    return bool(
        settings.XIETONG_REQUIRE_MFA_FOR_STAFF
        and user is not None
        and user.is_authenticated
        and (user.is_staff or user.is_superuser)
    )
