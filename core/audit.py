"""Write audit entries inside the caller's transaction, so a change and its record land together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.auth.principal import Principal
from core.models import AuditEntry


async def record(
    actor: Principal | None,
    tenant_id: int,
    action: str,
    obj: str,
    object_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    via: str | None = None,
) -> AuditEntry:
    """`via` overrides how the change came (a CLI run has no user: actor None, via "script")."""
    return await AuditEntry.create(
        tenant_id=tenant_id,
        actor_id=actor.user_id if actor else None,
        via=via or (actor.via if actor else "system"),
        action=action,
        object_type=obj,
        object_id=str(object_id),
        before=before,
        after=after,
    )


def key_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[str]]:
    """Which keys of a secret mapping (credentials) were added, changed or removed: the audit
    entry for a change of secrets names keys only, never a value."""
    return {
        "added": sorted(set(after) - set(before)),
        "changed": sorted(k for k in set(after) & set(before) if after[k] != before[k]),
        "removed": sorted(set(before) - set(after)),
    }
