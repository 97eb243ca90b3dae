from django.urls import path

from xietong.api import views

app_name = "apitokens"
urlpatterns = [
    path("api-tokens/", views.tokens, name="tokens"),
    path("api-tokens/<int:pk>/revoke/", views.revoke, name="revoke"),
]
