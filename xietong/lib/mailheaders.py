"""The headers every automatic mail of the site carries (reminders, invitations, account invitations).

- ``Auto-Submitted: auto-generated`` (RFC 3834): out-of-office and other
  automatic replies are not sent back to a mail no person wrote.
- ``Message-ID`` under the host of ``XIETONG_SITE_URL``: Django's default
  takes the machine's name (``@localhost`` in a container), which says
  nothing and collides between installations.
"""

from __future__ import annotations

from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings

AUTO_SUBMITTED = "auto-generated"


def site_domain() -> str:
    """The host of the site's address, as the right-hand side of a Message-ID (an IPv6 address in brackets)."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"[{host}]" if ":" in host else host


def automatic_headers() -> dict[str, str]:
    """``Auto-Submitted`` and a fresh ``Message-ID`` for one automatic mail."""
    return {"Auto-Submitted": AUTO_SUBMITTED, "Message-ID": make_msgid(domain=site_domain())}
