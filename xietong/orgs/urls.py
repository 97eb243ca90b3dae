from django.urls import path

from xietong.orgs import lockout_views, views

app_name = "orgs"
urlpatterns = [
    path("org/heads/", views.head_proposals, name="head_proposals"),
    path(
        "org/heads/<int:pk>/confirm/",
        views.decide_head_proposal,
        {"decision": "confirm"},
        name="confirm_head",
    ),
    path(
        "org/heads/<int:pk>/reject/", views.decide_head_proposal, {"decision": "reject"}, name="reject_head"
    ),
    path("org/lockouts/", lockout_views.lockouts, name="lockouts"),
    path("org/lockouts/unlock/", lockout_views.unlock, name="unlock"),
]
