from django.urls import path

from xietong.meetings import views

app_name = "meetings"
urlpatterns = [
    path("c/<str:slug>/kickoff/", views.kickoff, name="kickoff"),
    path("c/<str:slug>/communication/", views.communication, name="communication"),
    path("c/<str:slug>/communication/<int:pk>/delete/", views.remove_rule, name="communication_remove"),
]
