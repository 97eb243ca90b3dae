from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from xietong.orgs.models import Department, Person


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
