from django.urls import path

from xietong.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("c/<str:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("c/<str:slug>/dashboard/readings/", views.record_reading, name="record_reading"),
]
