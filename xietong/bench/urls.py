from django.urls import path

from xietong.bench import views

app_name = "bench"
urlpatterns = [
    path("bench/minimal/", views.minimal, name="minimal"),
    path("bench/one-query/<str:slug>/", views.one_query, name="one_query"),
    path("bench/list50/<str:slug>/", views.list50, name="list50"),
]
