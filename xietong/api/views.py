"""The "API tokens" page: your personal tokens, a new one (its secret shown once), revoking one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from xietong.api.actions import IssuedToken, do_issue_token, do_revoke_token
from xietong.api.models import ApiToken
from xietong.collabs.access import signed_in_person


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=100,
        help_text=gettext_lazy("便于日后辨认,如“周报脚本”"),
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if "\x00" in name:
            raise forms.ValidationError(_("不能包含空字符 (NUL)"))
        return name


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List your tokens; POST creates one and shows its secret on this answer only (never again)."""
    person = signed_in_person(request)
    form = TokenForm(request.POST or None)
    issued: IssuedToken | None = None
    if request.method == "POST" and form.is_valid():
        issued = do_issue_token(person, form.cleaned_data["name"])
        form = TokenForm()
    response = render(
        request,
        "api/tokens.html",
        {
            "tokens": ApiToken.objects.filter(person=person).select_related("person"),
            "form": form,
            "issued": issued,
        },
    )
    # The page that shows a secret is never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = do_revoke_token(signed_in_person(request), pk)
    if token is None:
        raise Http404
    messages.success(request, _("已撤销令牌「%(name)s」。") % {"name": token.name})
    return redirect("apitokens:tokens")
