from django.contrib import admin

from xietong.meetings.models import AgendaItem, CommunicationRule, Meeting, MinutesConfirmation


class AgendaInline(admin.TabularInline[AgendaItem, Meeting]):
    model = AgendaItem
    extra = 0


class ConfirmationInline(admin.TabularInline[MinutesConfirmation, Meeting]):
    model = MinutesConfirmation
    extra = 0


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin[Meeting]):
    list_display = ["collaboration", "kind", "scheduled_at", "agenda_sent_at", "minutes_issued_at"]
    list_filter = ["kind"]
    list_select_related = ["collaboration"]
    inlines = [AgendaInline, ConfirmationInline]


@admin.register(CommunicationRule)
class CommunicationRuleAdmin(admin.ModelAdmin[CommunicationRule]):
    list_display = ["collaboration", "scenario", "channel", "frequency", "owner", "admin"]
    list_filter = ["scenario", "channel"]
    list_select_related = ["collaboration"]
