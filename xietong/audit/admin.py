from django.contrib import admin

from xietong.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: the audit log is never edited."""

    list_display = ["at", "actor", "change", "object_type", "object_repr", "collaboration"]
    list_filter = ["change", "object_type"]
    list_select_related = ["actor", "collaboration"]
    search_fields = ["object_repr", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
