from django.urls import path

from xietong.notify import views

app_name = "notify"
urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/<int:pk>/read/", views.mark_read, name="mark_read"),
    path("notifications/read-all/", views.mark_all_read, name="mark_all_read"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/failed/", views.failed, name="failed"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("notifications/failed/<int:pk>/resend/", views.failed_resend, name="failed_resend"),
    path("c/<str:slug>/robots/", views.robots, name="robots"),
    path("c/<str:slug>/robots/<int:pk>/", views.robot_edit, name="robot_edit"),
    path("c/<str:slug>/robots/<int:pk>/delete/", views.robot_delete, name="robot_delete"),
    path("c/<str:slug>/deliveries/<int:pk>/resend/", views.resend, name="resend"),
]
