from django.urls import path

from xietong.tracking.views import changes, closing, progress, weekly
from xietong.tracking.views import registers as reg
from xietong.tracking.views import sla as sla_views

app_name = "tracking"
urlpatterns = [
    path("c/<str:slug>/tracking/", progress.tracking, name="tracking"),
    path("c/<str:slug>/tracking/progress/<int:pk>/", progress.progress, name="progress"),
    path("c/<str:slug>/tracking/weekly/<str:week>/", weekly.report, name="report"),
    path("c/<str:slug>/tracking/weekly/<str:week>/publish/", weekly.publish, name="publish"),
    # step 8 and the change requests (closing.md)
    path("c/<str:slug>/closing/", closing.closing, name="closing"),
    path("c/<str:slug>/closing/accept/<int:pk>/", closing.accept, name="accept"),
    path("c/<str:slug>/closing/retrospective/", closing.retrospective, name="retrospective"),
    path("c/<str:slug>/closing/close/", closing.close, name="close"),
    path("c/<str:slug>/closing/reopen/", closing.reopen, name="reopen"),
    path("c/<str:slug>/closing/resolution/", closing.resolution_deadline, name="resolution"),
    path("c/<str:slug>/changes/", changes.changes, name="changes"),
    path("c/<str:slug>/changes/<int:pk>/decide/", changes.decide, name="decide"),
    # the registers (docs/registers.md)
    path("c/<str:slug>/issues/", reg.issues, name="issues"),
    path("c/<str:slug>/issues/<int:pk>/delete/", reg.issue_delete, name="issue_delete"),
    path("c/<str:slug>/risks/", reg.risks, name="risks"),
    path("c/<str:slug>/risks/<int:pk>/trigger/", reg.risk_trigger, name="risk_trigger"),
    path("c/<str:slug>/risks/<int:pk>/close/", reg.risk_close, name="risk_close"),
    path("c/<str:slug>/resources/", reg.resources, name="resources"),
    path("c/<str:slug>/resources/allocations/", reg.allocation_save, name="allocation_save"),
    path(
        "c/<str:slug>/resources/allocations/<int:pk>/returned/",
        reg.allocation_returned,
        name="allocation_returned",
    ),
    path("c/<str:slug>/resources/milestones/", reg.milestone_save, name="milestone_save"),
    path("c/<str:slug>/resources/milestones/<int:pk>/done/", reg.milestone_done, name="milestone_done"),
    path("c/<str:slug>/resources/process/", reg.process_save, name="process_save"),
    path("c/<str:slug>/sla/", sla_views.sla, name="sla"),
    path("c/<str:slug>/sla/subgoals/<int:pk>/requests/", sla_views.sla_open, name="sla_open"),
    path("c/<str:slug>/sla/requests/<int:pk>/pause/", sla_views.sla_pause, name="sla_pause"),
    path("c/<str:slug>/sla/requests/<int:pk>/resume/", sla_views.sla_resume, name="sla_resume"),
    path("c/<str:slug>/sla/requests/<int:pk>/answer/", sla_views.sla_answer, name="sla_answer"),
    path("c/<str:slug>/sla/subgoals/<int:pk>/checks/", sla_views.check_record, name="check_record"),
]
