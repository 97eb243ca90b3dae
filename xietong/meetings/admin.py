from django.contrib import admin

from xietong.meetings.models import (
    AgendaItem,
    CalendarFeed,
    CommunicationRule,
    Contribution,
    Material,
    Meeting,
    MinutesConfirmation,
    MinutesCorrection,
    MinutesItem,
    MinutesRevision,
)


class AgendaInline(admin.TabularInline[AgendaItem, Meeting]):
    model = AgendaItem
    extra = 0


class ContributionInline(admin.TabularInline[Contribution, Meeting]):
    model = Contribution
    extra = 0
    raw_id_fields = ["task", "subgoal"]


class MinutesItemInline(admin.TabularInline[MinutesItem, Meeting]):
    model = MinutesItem
    extra = 0
    raw_id_fields = ["task"]


class ConfirmationInline(admin.TabularInline[MinutesConfirmation, Meeting]):
    model = MinutesConfirmation
    extra = 0


class CorrectionInline(admin.TabularInline[MinutesCorrection, Meeting]):
    model = MinutesCorrection
    extra = 0


class MaterialInline(admin.TabularInline[Material, Meeting]):
    model = Material
    extra = 0


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin[Meeting]):
    list_display = ["collaboration", "kind", "scheduled_at", "agenda_sent_at", "minutes_issued_at"]
    list_filter = ["kind"]
    list_select_related = ["collaboration"]
    raw_id_fields = ["series"]
    filter_horizontal = ["attendees"]
    inlines = [
        AgendaInline,
        MaterialInline,
        ContributionInline,
        MinutesItemInline,
        ConfirmationInline,
        CorrectionInline,
    ]


@admin.register(MinutesRevision)
class MinutesRevisionAdmin(admin.ModelAdmin[MinutesRevision]):
    """Issued minutes are the archive: they are read here, never changed."""

    list_display = ["meeting", "number", "issued_at", "issued_by"]
    list_select_related = ["meeting", "issued_by"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin[CalendarFeed]):
    list_display = ["person", "created_at"]
    exclude = ["nonce"]


@admin.register(CommunicationRule)
class CommunicationRuleAdmin(admin.ModelAdmin[CommunicationRule]):
    list_display = ["collaboration", "scenario", "channel", "frequency", "owner", "admin", "binding"]
    list_filter = ["scenario", "channel"]
    list_select_related = ["collaboration"]
