from django.urls import path

from xietong.signin import views

urlpatterns = [
    # Django's login form, finished by allauth (second factor); before django.contrib.auth.urls.
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path(
        "accounts/invite/<str:token>/<str:provider>/",
        views.invitation_signin,
        name="invitation_signin",
    ),
]
