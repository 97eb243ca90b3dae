from django.urls import path

from xietong.orgs import invitation_views, lockout_views, people_views, picker_views, views

app_name = "orgs"
urlpatterns = [
    path("org/", people_views.organisation, name="organisation"),
    path("org/invite/", people_views.invite, name="invite"),
    path("org/invitations/<int:pk>/resend/", people_views.resend_invitation, name="resend_invitation"),
    path("org/invitations/<int:pk>/revoke/", people_views.revoke_invitation, name="revoke_invitation"),
    path("invite/<str:token>/", invitation_views.accept_invitation, name="accept_invitation"),
    path("org/people/pick", picker_views.pick_people, name="pick_people"),
    path("org/people/<int:pk>/", people_views.person_page, name="person"),
    path("org/people/<int:pk>/deactivate/", people_views.deactivate, name="deactivate"),
    path("org/people/<int:pk>/reactivate/", people_views.reactivate, name="reactivate"),
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
