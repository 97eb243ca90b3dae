"""Your personal API tokens: list, create (the secret is shown once), revoke."""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.responses import Status

from xietong.api.actions import do_issue_token, do_revoke_token
from xietong.api.auth import caller
from xietong.api.errors import INVALID, NOT_FOUND, responses
from xietong.api.models import ApiToken
from xietong.api.schemas import TokenCreatedOut, TokenIn, TokenOut

router = Router(tags=["tokens"])


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.pk,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        active=token.active,
    )


@router.get("/tokens", response=responses({200: list[TokenOut]}))
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    """Your tokens, newest first, revoked ones included (never their secrets).

    A token stops being `active` when revoked, or when your password changes."""
    return [token_out(t) for t in ApiToken.objects.filter(person=caller(request)).select_related("person")]


@router.post("/tokens", response=responses({201: TokenCreatedOut}, INVALID))
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    """Create a token. `token` in the answer is the only time its secret is shown: keep it."""
    issued = do_issue_token(caller(request), payload.name)
    return Status(201, TokenCreatedOut(**token_out(issued.token).model_dump(), token=issued.secret))


@router.delete("/tokens/{token_id}", response=responses({204: None}, NOT_FOUND))
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    """Revoke one of your tokens: it is refused (401) from now on."""
    if do_revoke_token(caller(request), token_id) is None:
        raise Http404
    return Status(204, None)
