"""Tags by name: one rule everywhere a name is given (createTag, the importer's `tags` column,
segment rules). A name matches the tenant's tag whatever its case (`vip` is `VIP`: compared
casefolded, an exact match first), so a tenant never has two tags that differ only in case.

The database backs this with a unique index on (tenant_id, lower(name)) (migration 0006); lower()
folds ASCII only on SQLite, so the services compare casefolded names themselves, under the writing
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.tenancy import scoped
from modules.crm.models import Tag


class ByName:
    """Ids by name, matched case-insensitively with an exact match first (a tenant's channels, tags)."""

    def __init__(self, names: Mapping[str, int]) -> None:
        self.exact: dict[str, int] = {}
        self.folded: dict[str, int] = {}
        for name, item_id in sorted(names.items(), key=lambda item: item[1]):
            self.add(name, item_id)

    def add(self, name: str, item_id: int) -> None:
        self.exact[name] = item_id
        self.folded.setdefault(name.casefold(), item_id)

    def get(self, name: str) -> int | None:
        return self.exact.get(name, self.folded.get(name.casefold()))


async def tag_index(tenant_id: int) -> ByName:
    """The tenant's tags by name (one column of one table: tags are few next to customers)."""
    return ByName({str(n): int(i) for i, n in await scoped(Tag, tenant_id).values_list("id", "name")})


async def tags_named(tenant_id: int, names: Iterable[str]) -> dict[str, int]:
    """The id of the tenant's tag for each given name it has (matched as ByName matches)."""
    wanted = list(names)
    if not wanted:
        return {}
    index = await tag_index(tenant_id)
    return {name: tag_id for name in wanted if (tag_id := index.get(name)) is not None}


async def tag_named(tenant_id: int, name: str) -> Tag | None:
    """The tenant's tag a name designates (whatever its case), if any."""
    found = await tags_named(tenant_id, [name])
    return await scoped(Tag, tenant_id).filter(id=found[name]).first() if name in found else None
