from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from xietong.signin.dingtalk.provider import DingTalkProvider

urlpatterns = default_urlpatterns(DingTalkProvider)
