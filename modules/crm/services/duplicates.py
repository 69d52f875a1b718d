"""Likely duplicate customers: customers of one tenant sharing a normalised e-mail or phone.

Contacts are encrypted; their keyed hash (`value_hash`, over kind and normalised value) is what
matches. Groups are found in SQL (GROUP BY value_hash HAVING count(distinct customer_id) > 1),
never by loading customers into Python, and paged by keyset on the hash. Merged customers are
left out: they are already someone else.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.sql import fetch

PER_GROUP = 20  # customers listed per group (the group's count is exact)


@dataclass
class DuplicateGroup:
    key: str  # the shared value_hash: for paging only, never shown to a client
    kind: str  # "email" | "phone"
    customer_count: int
    customer_ids: list[int]  # at most PER_GROUP, oldest (lowest id) first


_LIVE = ("FROM crm_contact c JOIN crm_customer cu ON cu.id = c.customer_id AND cu.tenant_id = c.tenant_id "
         "WHERE c.tenant_id = {p[0]} AND cu.merged_into_id IS NULL")


async def find_duplicates(tenant_id: int, first: int, after: str | None = None) -> tuple[list[DuplicateGroup], bool]:
    """One page of groups after the hash `after`, ordered by hash; and whether more follow."""
    values: list[object] = [tenant_id]
    after_clause = ""
    if after is not None:
        values.append(after)
        after_clause = " AND c.value_hash > {p[1]}"
    values.append(first + 1)
    # Only placeholders are formatted into the text; every value is bound.
    sql = (
        f"SELECT c.value_hash AS value_hash, MIN(c.kind) AS kind, COUNT(DISTINCT c.customer_id) AS n {_LIVE}"
        f"{after_clause} GROUP BY c.value_hash HAVING COUNT(DISTINCT c.customer_id) > 1 "
        f"ORDER BY c.value_hash LIMIT {{p[{len(values) - 1}]}}"
    )
    rows = await fetch(sql, values)
    has_next = len(rows) > first
    rows = rows[:first]
    if not rows:
        return [], has_next
    members = await _members(tenant_id, [r["value_hash"] for r in rows])
    return [DuplicateGroup(key=r["value_hash"], kind=r["kind"], customer_count=int(r["n"]),
                           customer_ids=members.get(r["value_hash"], [])) for r in rows], has_next


async def _members(tenant_id: int, hashes: list[str]) -> dict[str, list[int]]:
    """The first PER_GROUP customers of each group, in one query (a window function)."""
    marks = ", ".join(f"{{p[{i}]}}" for i in range(1, len(hashes) + 1))
    # Only placeholders are formatted into the text; every value is bound.
    sql = (
        "SELECT value_hash, customer_id FROM (SELECT value_hash, customer_id, ROW_NUMBER() OVER "  # noqa: S608
        "(PARTITION BY value_hash ORDER BY customer_id) AS rn FROM (SELECT DISTINCT c.value_hash AS value_hash, "
        f"c.customer_id AS customer_id {_LIVE} AND c.value_hash IN ({marks})) live) ranked "
        f"WHERE rn <= {{p[{len(hashes) + 1}]}} ORDER BY value_hash, customer_id"
    )
    result: dict[str, list[int]] = {}
    for row in await fetch(sql, [tenant_id, *hashes, PER_GROUP]):
        result.setdefault(row["value_hash"], []).append(int(row["customer_id"]))
    return result
