from django.urls import path

from xietong.collabs import views

app_name = "collabs"
urlpatterns = [
    path("", views.home, name="home"),
    path("c/<str:slug>/", views.detail, name="detail"),
]
