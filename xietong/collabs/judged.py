"""Snapshots and their judgements, cached per collaboration and version.

Every write to a collaboration goes through an action that bumps its
``version`` (``bump_version``), so a snapshot cached under
``(collaboration, version)`` is never stale: the next request after a write
asks for a key that does not exist yet and reads the database again. The
rule report also depends on the clock (overdue, 24-hour deadlines), so it is
cached per minute. Names of people and departments come from the
organisation, not from the collaboration: a rename shows after at most
``XIETONG_SNAPSHOT_SECONDS`` (the entries' lifetime), as do writes made
outside the actions (a database shell).

Any cache backend is correct here (local memory per process by default,
Redis shared with ``XIETONG_CACHE_URL``): a key names one version only.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache

from xietong.collabs.models import Collaboration, Phase
from xietong.collabs.snapshots import load_snapshots
from xietong.rules import snapshot as s
from xietong.rules.engine import Context, Report, run_rules
from xietong.rules.steps import current_step

# Raised when ``rules.snapshot``'s dataclasses change shape (2: a task's assignee and watchers).
SNAPSHOT_SHAPE = 2


def version_key(collab: Collaboration) -> str:
    """Name one version of one collaboration (its creation time guards a reused primary key)."""
    # SNAPSHOT_SHAPE changes with the snapshot's fields, so a shared cache (Redis) never hands
    # a new release a snapshot pickled by an older one.
    return f"xt:{SNAPSHOT_SHAPE}:{collab.pk}.{collab.created_at.timestamp():.6f}.{collab.version}"


def minute(ctx: Context) -> str:
    """The clock's share of a key: judgements are redone once a minute."""
    return ctx.now.strftime("%Y%m%d%H%M")


def snapshots_of(collabs: Sequence[Collaboration]) -> dict[int, s.Collab]:
    """Return the snapshots of ``collabs`` by primary key, reading only the ones not cached."""
    keys = {c.pk: version_key(c) + ":snapshot" for c in collabs}
    found: dict[str, s.Collab] = cache.get_many(list(keys.values())) if keys else {}
    snapshots = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [c for c in collabs if c.pk not in snapshots]
    if missing:
        loaded = load_snapshots(missing)
        cache.set_many({keys[pk]: snap for pk, snap in loaded.items()}, settings.XIETONG_SNAPSHOT_SECONDS)
        snapshots.update(loaded)
    return snapshots


def snapshot_of(collab: Collaboration) -> s.Collab:
    return snapshots_of([collab])[collab.pk]


def reports_of(
    collabs: Sequence[Collaboration], snapshots: dict[int, s.Collab], ctx: Context
) -> dict[int, Report]:
    """Return the rule reports of ``collabs`` at ``ctx``'s minute, judging only the ones not cached."""
    keys = {
        c.pk: f"{version_key(c)}:report:{minute(ctx)}:{ctx.tz}:{ctx.escalation_working_days}" for c in collabs
    }
    found: dict[str, Report] = cache.get_many(list(keys.values())) if keys else {}
    reports = {pk: found[key] for pk, key in keys.items() if key in found}
    judged = {c.pk: run_rules(snapshots[c.pk], ctx) for c in collabs if c.pk not in reports}
    if judged:
        cache.set_many({keys[pk]: report for pk, report in judged.items()}, settings.XIETONG_SNAPSHOT_SECONDS)
        reports.update(judged)
    return reports


def report_of(collab: Collaboration, snapshot: s.Collab, ctx: Context) -> Report:
    return reports_of([collab], {collab.pk: snapshot}, ctx)[collab.pk]


# The phase of each step (its stage in the guide: 启动, 筹备 … 收尾).
PHASE_OF_STEP = {
    1: Phase.INITIATING,
    2: Phase.PREPARING,
    3: Phase.ALIGNING,
    4: Phase.DETAILING,
    5: Phase.CONSENSUS,
    6: Phase.EXECUTING,
    7: Phase.MONITORING,
    8: Phase.CLOSING,
}


def phase_of(snapshot: s.Collab, ctx: Context) -> Phase:
    """Return the phase a collaboration is in, derived from its snapshot (never stored, never stale)."""
    step = current_step(snapshot, ctx.today)
    return Phase.CLOSED if step is None else PHASE_OF_STEP[step.number]
