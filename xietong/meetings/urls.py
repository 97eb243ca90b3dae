from django.urls import path

from xietong.meetings.views import kickoff, plan

app_name = "meetings"
urlpatterns = [
    path("c/<str:slug>/kickoff/", kickoff.kickoff, name="kickoff"),
    path("c/<str:slug>/communication/", plan.communication, name="communication"),
    path("c/<str:slug>/communication/<int:pk>/delete/", plan.remove_rule, name="communication_remove"),
]
