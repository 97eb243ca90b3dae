from django.urls import path

from xietong.audit import views

app_name = "audit"
urlpatterns = [
    path("c/<str:slug>/history/", views.history, name="history"),
    path("c/<str:slug>/history.csv", views.history_csv, name="history_csv"),
]
