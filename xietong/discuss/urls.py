"""The comment threads of a collaboration's rows (one route per kind of row: the segment names the row)."""

from django.urls import path

from xietong.discuss import views

app_name = "discuss"

# (URL segment, target): the segments are those of the rows' own pages.
SEGMENTS = (
    ("tasks", "task"),
    ("subgoals", "subgoal"),
    ("issues", "issue"),
    ("risks", "risk"),
    ("items", "minutes_item"),
)

urlpatterns = [
    *(
        path(f"c/<str:slug>/{segment}/<int:pk>/comments/", views.thread, {"target": target}, name=target)
        for segment, target in SEGMENTS
    ),
    path("c/<str:slug>/comments/<int:pk>/edit/", views.edit, name="edit"),
    path("c/<str:slug>/comments/<int:pk>/delete/", views.delete, name="delete"),
    path("c/<str:slug>/attachments/<int:pk>/", views.attachment, name="attachment"),
]
