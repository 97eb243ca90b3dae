from django.contrib import admin
from django.http import HttpRequest

from xietong.collabs.models import (
    Collaboration,
    Goal,
    Membership,
    Metric,
    MetricReading,
    Nomination,
    Participant,
    PendingPerson,
    SavedView,
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


@admin.register(Nomination)
class NominationAdmin(admin.ModelAdmin[Nomination]):
    # Answers are the named person's to give (accept / decline pages); the admin only reads them.
    list_display = ["person", "collaboration", "role", "state", "nominated_by", "created_at", "decided_at"]
    list_filter = ["role", "state"]
    list_select_related = ["person", "collaboration", "nominated_by"]
    readonly_fields = ["collaboration", "person", "role", "nominated_by", "state", "created_at", "decided_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PendingPerson)
class PendingPersonAdmin(admin.ModelAdmin[PendingPerson]):
    """Names an import gave that have no account yet (待邀请): invited from the departments step."""

    list_display = ["name", "role", "department", "collaboration", "created_at"]
    list_select_related = ["department", "collaboration"]
    list_filter = ["role"]
    search_fields = ["name", "collaboration__title"]
    readonly_fields = ["collaboration", "name", "department", "role", "email", "phone", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin[SavedView]):
    """People's named filters of a table (保存的筛选): theirs to make and delete on the page."""

    list_display = ["name", "person", "collaboration", "query", "created_at"]
    list_select_related = ["person", "collaboration"]
    search_fields = ["name", "person__username", "collaboration__title"]
    readonly_fields = ["person", "collaboration", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
