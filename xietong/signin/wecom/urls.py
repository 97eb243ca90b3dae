from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from xietong.signin.wecom.provider import WeComProvider

urlpatterns = default_urlpatterns(WeComProvider)
