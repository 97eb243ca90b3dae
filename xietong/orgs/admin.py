from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xietong.orgs.models import AccountInvitation, Department, DirectorySync, HeadProposal, Person


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["name", "head"]
    search_fields = ["name"]
    autocomplete_fields = ["head"]


@admin.register(Person)
class PersonAdmin(UserAdmin[Person]):
    list_display = ["username", "display_name", "department", "email", "is_active", "is_superuser"]
    list_filter = ["department", "is_active", "is_superuser"]
    search_fields = ["username", "display_name", "email"]
    list_select_related = ["department"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("组织"), {"fields": ("display_name", "department", "phone", "language")}),
    )


@admin.register(HeadProposal)
class HeadProposalAdmin(admin.ModelAdmin[HeadProposal]):
    # Decided on the head proposals page (/org/heads/), which records who decided.
    list_display = ["department", "person", "state", "proposed_by", "collaboration_title", "created_at"]
    list_filter = ["state"]
    list_select_related = ["department", "person", "proposed_by"]
    readonly_fields = [f.name for f in HeadProposal._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AccountInvitation)
class AccountInvitationAdmin(admin.ModelAdmin[AccountInvitation]):
    # Issued, resent and revoked on the organisation page (/org/), which audits them; the
    # token's hash is never shown.
    list_display = ["person", "created_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_select_related = ["person", "created_by"]
    readonly_fields = [f.name for f in AccountInvitation._meta.fields if f.name != "token_hash"]
    exclude = ["token_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccountInvitation | None = None) -> bool:
        return False


@admin.register(DirectorySync)
class DirectorySyncAdmin(admin.ModelAdmin[DirectorySync]):
    # Written by the sync only (``xietong sync_directory`` and the worker); shown on /org/ too.
    list_display = ["source", "started_at", "finished_at", "dry_run", "state", "message"]
    list_filter = ["source", "state", "dry_run"]
    readonly_fields = [f.name for f in DirectorySync._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DirectorySync | None = None) -> bool:
        return False
