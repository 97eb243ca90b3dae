"""Writes to collaborations, one module per concern. Each ``do_*`` function is atomic.

Views, API endpoints and commands change data only through these functions.
"""

from xietong.collabs.actions.common import Directory, bump_version, free_slug
from xietong.collabs.actions.readings import do_record_reading

__all__ = [
    "Directory",
    "bump_version",
    "do_record_reading",
    "free_slug",
]
