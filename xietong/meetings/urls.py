from django.urls import path

from xietong.meetings.views import kickoff, minutes, plan
from xietong.meetings.views import meeting as m
from xietong.meetings.views.calendar import (
    calendar_page,
    calendar_reset,
    feed,
    meeting_ics,
    open_occurrence,
    series_ics,
)

app_name = "meetings"
urlpatterns = [
    path("c/<str:slug>/kickoff/", kickoff.kickoff, name="kickoff"),
    path("c/<str:slug>/communication/", plan.communication, name="communication"),
    path("c/<str:slug>/communication/<int:pk>/delete/", plan.remove_rule, name="communication_remove"),
    path("c/<str:slug>/meetings/<int:pk>.ics", meeting_ics, name="meeting_ics"),
    path("c/<str:slug>/communication/<int:pk>.ics", series_ics, name="series_ics"),
    path("c/<str:slug>/communication/<int:pk>/open/", open_occurrence, name="open_occurrence"),
    path("calendar/", calendar_page, name="calendar"),
    path("calendar/reset/", calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", feed, name="feed"),
    path("c/<str:slug>/meetings/", m.meetings, name="meetings"),
    path("c/<str:slug>/meetings/<int:pk>/", m.meeting, name="meeting"),
    path("c/<str:slug>/meetings/<int:pk>/details/", m.details, name="meeting_details"),
    path("c/<str:slug>/meetings/<int:pk>/attendees/", m.attendees, name="meeting_attendees"),
    path("c/<str:slug>/meetings/<int:pk>/agenda/", m.agenda, name="agenda"),
    path("c/<str:slug>/meetings/<int:pk>/agenda/<int:item>/delete/", m.agenda_remove, name="agenda_remove"),
    path("c/<str:slug>/meetings/<int:pk>/agenda/send/", m.send_agenda, name="send_agenda"),
    path("c/<str:slug>/meetings/<int:pk>/cancel/", m.cancel, name="meeting_cancel"),
    path("c/<str:slug>/meetings/<int:pk>/materials/", m.materials, name="materials"),
    path("c/<str:slug>/meetings/<int:pk>/materials/<int:item>/", m.material, name="material"),
    path(
        "c/<str:slug>/meetings/<int:pk>/materials/<int:item>/delete/",
        m.material_remove,
        name="material_remove",
    ),
    path("c/<str:slug>/meetings/<int:pk>/contributions/", m.contributions, name="contributions"),
    path(
        "c/<str:slug>/meetings/<int:pk>/contributions/<int:item>/delete/",
        m.contribution_remove,
        name="contribution_remove",
    ),
    path(
        "c/<str:slug>/meetings/<int:pk>/contributions/<int:item>/task/",
        m.contribution_task,
        name="contribution_task",
    ),
    path(
        "c/<str:slug>/meetings/<int:pk>/contributions/<int:item>/subgoal/",
        m.contribution_subgoal,
        name="contribution_subgoal",
    ),
    path("c/<str:slug>/meetings/<int:pk>/minutes/summary/", minutes.summary, name="minutes_summary"),
    path("c/<str:slug>/meetings/<int:pk>/minutes/items/", minutes.items, name="minutes_items"),
    path(
        "c/<str:slug>/meetings/<int:pk>/minutes/items/<int:item>/delete/",
        minutes.item_remove,
        name="minutes_item_remove",
    ),
    path(
        "c/<str:slug>/meetings/<int:pk>/minutes/items/<int:item>/resolve/",
        minutes.item_resolve,
        name="minutes_item_resolve",
    ),
    path("c/<str:slug>/meetings/<int:pk>/minutes/issue/", minutes.issue, name="minutes_issue"),
    path("c/<str:slug>/meetings/<int:pk>/minutes/confirm/", minutes.confirm, name="minutes_confirm"),
    path(
        "c/<str:slug>/meetings/<int:pk>/minutes/proxy-confirm/",
        minutes.proxy_confirm,
        name="minutes_proxy_confirm",
    ),
    path("c/<str:slug>/meetings/<int:pk>/minutes/correction/", minutes.correction, name="minutes_correction"),
]
