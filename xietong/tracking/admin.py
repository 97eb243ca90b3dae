from django.contrib import admin

from xietong.tracking.models import (
    Acceptance,
    Allocation,
    ChangeRequest,
    IssueEntry,
    Milestone,
    ProgressUpdate,
    Retrospective,
    Risk,
    SlaPause,
    SlaRequest,
    SubGoalCheck,
    WeeklyReport,
)


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin[ProgressUpdate]):
    list_display = ["task", "department", "status", "percent", "created_at", "author"]
    list_filter = ["status"]
    list_select_related = ["task", "department", "author"]
    raw_id_fields = ["task"]


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin[WeeklyReport]):
    list_display = ["collaboration", "iso_year", "iso_week", "published_at", "published_by"]
    list_select_related = ["collaboration", "published_by"]


@admin.register(IssueEntry)
class IssueEntryAdmin(admin.ModelAdmin[IssueEntry]):
    list_display = ["collaboration", "title", "owner", "due_date", "status"]
    list_filter = ["status"]
    list_select_related = ["collaboration", "owner"]


@admin.register(Risk)
class RiskAdmin(admin.ModelAdmin[Risk]):
    list_display = ["collaboration", "description", "probability", "impact", "owner", "status"]
    list_filter = ["status", "probability", "impact"]
    list_select_related = ["collaboration", "owner"]


class SlaPauseInline(admin.TabularInline[SlaPause, SlaRequest]):
    model = SlaPause
    extra = 0


@admin.register(SlaRequest)
class SlaRequestAdmin(admin.ModelAdmin[SlaRequest]):
    list_display = ["collaboration", "subgoal", "requester", "started_at", "answered_at"]
    list_select_related = ["collaboration", "subgoal", "requester"]
    raw_id_fields = ["subgoal"]
    inlines = [SlaPauseInline]


@admin.register(SubGoalCheck)
class SubGoalCheckAdmin(admin.ModelAdmin[SubGoalCheck]):
    list_display = ["subgoal", "due_at", "done_at"]
    list_select_related = ["subgoal"]
    raw_id_fields = ["subgoal"]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin[ChangeRequest]):
    list_display = ["collaboration", "field", "old_value", "new_value", "status", "requested_at"]
    list_filter = ["status", "field"]
    list_select_related = ["collaboration"]
    raw_id_fields = ["task", "subgoal", "metric"]


@admin.register(Acceptance)
class AcceptanceAdmin(admin.ModelAdmin[Acceptance]):
    list_display = ["task", "department", "accepted", "decided_at"]
    list_select_related = ["task", "department"]
    raw_id_fields = ["task"]


@admin.register(Retrospective)
class RetrospectiveAdmin(admin.ModelAdmin[Retrospective]):
    list_display = ["collaboration", "written_by", "written_at"]
    list_select_related = ["collaboration", "written_by"]


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin[Allocation]):
    list_display = [
        "collaboration",
        "resource",
        "from_department",
        "to_department",
        "return_date",
        "returned_at",
    ]
    list_select_related = ["collaboration", "from_department", "to_department"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin[Milestone]):
    list_display = ["collaboration", "name", "due_date", "done_at"]
    list_select_related = ["collaboration"]
