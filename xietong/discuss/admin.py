from django.contrib import admin
from django.http import HttpRequest

from xietong.discuss.models import Attachment, Comment, Mention


class MentionInline(admin.TabularInline[Mention, Comment]):
    model = Mention
    extra = 0
    raw_id_fields = ["person"]


class AttachmentInline(admin.TabularInline[Attachment, Comment]):
    model = Attachment
    extra = 0


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    """Read and moderated here; written on the rows' threads (actions tell the mentioned people)."""

    list_display = ["collaboration", "author", "__str__", "created_at", "edited_at", "deleted_at"]
    list_select_related = ["collaboration", "author"]
    raw_id_fields = ["task", "subgoal", "issue", "risk", "minutes_item", "author"]
    inlines = [MentionInline, AttachmentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
