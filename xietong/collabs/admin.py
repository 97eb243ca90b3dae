from django.contrib import admin

from xietong.collabs.models import (
    Collaboration,
    Goal,
    Membership,
    Metric,
    MetricReading,
    Participant,
    SubGoal,
    Task,
)


class ParticipantInline(admin.TabularInline[Participant, Collaboration]):
    model = Participant
    extra = 0
    autocomplete_fields = ["department", "liaison"]


class MembershipInline(admin.TabularInline[Membership, Collaboration]):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Collaboration)
class CollaborationAdmin(admin.ModelAdmin[Collaboration]):
    list_display = ["title", "slug", "type", "phase", "initiator_department", "owner", "created_at"]
    list_filter = ["type", "phase", "visibility"]
    list_select_related = ["initiator_department", "owner"]
    search_fields = ["title", "slug"]
    autocomplete_fields = ["initiator_department", "owner"]
    inlines = [ParticipantInline, MembershipInline]


class MetricInline(admin.TabularInline[Metric, Goal]):
    model = Metric
    extra = 0


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin[Goal]):
    list_display = ["collaboration", "statement", "deadline"]
    list_select_related = ["collaboration"]
    inlines = [MetricInline]


@admin.register(MetricReading)
class MetricReadingAdmin(admin.ModelAdmin[MetricReading]):
    list_display = ["metric", "measured_on", "value", "recorded_by"]
    list_select_related = ["metric", "recorded_by"]
    date_hierarchy = "measured_on"


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin[Task]):
    list_display = ["description", "collaboration", "department", "deadline", "status"]
    list_filter = ["status", "department"]
    list_select_related = ["collaboration", "department"]
    search_fields = ["description"]
    autocomplete_fields = ["department", "collaborators"]


@admin.register(SubGoal)
class SubGoalAdmin(admin.ModelAdmin[SubGoal]):
    list_display = ["description", "collaboration", "department", "metric", "target", "deadline_kind"]
    list_select_related = ["collaboration", "department", "metric"]
    autocomplete_fields = ["department"]
