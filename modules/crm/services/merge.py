"""Merging duplicate customers into one, and undoing a merge exactly.

A merge moves every row that hangs off each source customer (identities, orders, addresses,
notes, tag links, contacts) to the target, marks each source `merged_into` the target and records
a `CustomerMerge` with the ids of what moved, per table and per source. Nothing is deleted: a tag
link or a contact the target already has (same tag; same kind and keyed hash) stays with its
source, so the target ends up without duplicates and an undo moves back exactly the recorded rows.
The audit entry holds ids and counts, never contact data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.models import TenantModel
from core.tenancy import scoped
from modules.crm.models import (
    Address,
    Customer,
    CustomerContact,
    CustomerIdentity,
    CustomerMerge,
    CustomerTag,
    Note,
    Order,
)
from modules.crm.services.errors import crm_error

MAX_SOURCES = 50
CHUNK = 1_000  # ids per IN (...): far below SQLite's and asyncpg's bound-parameter limits
DEMOTED = "demoted_primary"
# Rows that simply follow their customer, by table name (the key used in `CustomerMerge.moved`).
FOLLOW: dict[str, type[TenantModel]] = {
    "crm_identity": CustomerIdentity, "crm_order": Order, "crm_address": Address, "crm_note": Note,
}
TABLES: dict[str, type[TenantModel]] = {**FOLLOW, "crm_customer_tag": CustomerTag, "crm_contact": CustomerContact}


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def _validate_ids(target_id: int, source_ids: Sequence[int]) -> list[UserFacingError]:
    if not source_ids:
        return [crm_error("REQUIRED", N_("Name at least one customer to merge."), ["sourceIds"])]
    if len(source_ids) > MAX_SOURCES:
        return [crm_error("TOO_MANY", N_("At most {max} customers can be merged at once."), ["sourceIds"],
                          max=MAX_SOURCES)]
    errors: list[UserFacingError] = []
    for i, source in enumerate(source_ids):
        if source == target_id:
            errors.append(crm_error("TARGET_IN_SOURCES", N_("A customer cannot be merged into itself."),
                                    ["sourceIds", str(i)]))
        elif source in source_ids[:i]:
            errors.append(crm_error("DUPLICATE", N_("This customer is listed twice."), ["sourceIds", str(i)]))
    return errors


async def _check_customers(tid: int, target_id: int, source_ids: Sequence[int]) -> None:
    """Lock the customers involved (PostgreSQL) and refuse unknown, foreign or merged ones."""
    rows = {c.id: c for c in await scoped(Customer, tid).filter(id__in=[target_id, *source_ids])
            .select_for_update()}
    errors: list[UserFacingError] = []
    for path, pk in [(["targetId"], target_id), *((["sourceIds", str(i)], s) for i, s in enumerate(source_ids))]:
        row = rows.get(pk)
        if row is None:
            errors.append(crm_error("NOT_FOUND", N_("No such customer."), path))
        elif row.merged_into_id is not None:
            errors.append(crm_error("ALREADY_MERGED", N_("This customer was already merged into another one."), path))
    if errors:
        raise UserFacingErrors(errors)


async def _move_following(tid: int, target_id: int, source_ids: Sequence[int]) -> dict[str, dict[str, list[int]]]:
    moved: dict[str, dict[str, list[int]]] = {}
    for table, model in FOLLOW.items():
        per_source: dict[str, list[int]] = {str(s): [] for s in source_ids}
        rows = await scoped(model, tid).filter(customer_id__in=source_ids).order_by("id") \
            .values_list("id", "customer_id")
        for pk, owner in rows:
            per_source[str(owner)].append(pk)
        await scoped(model, tid).filter(customer_id__in=source_ids).update(customer_id=target_id)
        moved[table] = per_source
    return moved


async def _move_tags(tid: int, target_id: int, source_ids: Sequence[int]) -> dict[str, list[int]]:
    """Links to tags the target lacks move; the others stay with their (merged) source."""
    have = set(await scoped(CustomerTag, tid).filter(customer_id=target_id).values_list("tag_id", flat=True))
    links = await scoped(CustomerTag, tid).filter(customer_id__in=source_ids).values_list("id", "customer_id", "tag_id")
    order = {s: i for i, s in enumerate(source_ids)}
    per_source: dict[str, list[int]] = {str(s): [] for s in source_ids}
    for pk, owner, tag in sorted(links, key=lambda r: (order[r[1]], r[0])):
        if tag not in have:
            have.add(tag)
            per_source[str(owner)].append(pk)
    moving = [pk for ids in per_source.values() for pk in ids]
    for chunk in _chunks(moving):
        await scoped(CustomerTag, tid).filter(id__in=chunk).update(customer_id=target_id)
    return per_source


async def _move_contacts(tid: int, target_id: int, source_ids: Sequence[int]
                         ) -> tuple[dict[str, list[int]], list[int]]:
    """E-mails and phones the target lacks (by kind and keyed hash) move; the target's primary
    stays primary, so a moved primary is demoted unless the target had none of that kind."""
    columns = ("id", "customer_id", "kind", "value_hash", "is_primary")
    mine = await scoped(CustomerContact, tid).filter(customer_id=target_id).values_list(*columns)
    seen = {(kind, value_hash) for _, _, kind, value_hash, _ in mine}
    primary = {kind for _, _, kind, _, is_primary in mine if is_primary}
    theirs = await scoped(CustomerContact, tid).filter(customer_id__in=source_ids).values_list(*columns)
    order = {s: i for i, s in enumerate(source_ids)}
    per_source: dict[str, list[int]] = {str(s): [] for s in source_ids}
    demoted: list[int] = []
    for pk, owner, kind, value_hash, is_primary in sorted(theirs, key=lambda r: (order[r[1]], not r[4], r[0])):
        if (kind, value_hash) in seen:
            continue
        seen.add((kind, value_hash))
        per_source[str(owner)].append(pk)
        if is_primary and kind in primary:
            demoted.append(pk)
        elif is_primary:
            primary.add(kind)
    for chunk in _chunks([pk for ids in per_source.values() for pk in ids]):
        await scoped(CustomerContact, tid).filter(id__in=chunk).update(customer_id=target_id)
    for chunk in _chunks(demoted):
        await scoped(CustomerContact, tid).filter(id__in=chunk).update(is_primary=False)
    return per_source, demoted


def _counts(moved: dict[str, Any]) -> dict[str, int]:
    return {table: sum(len(ids) for ids in moved[table].values()) for table in TABLES}


async def merge_customers(actor: Principal, target_id: int, source_ids: Sequence[int]
                          ) -> tuple[CustomerMerge, Customer]:
    """Merge the sources into the target, all or nothing. Returns the merge record and the target."""
    tid = actor.tenant_id
    source_ids = list(source_ids)
    errors = _validate_ids(target_id, source_ids)
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        await _check_customers(tid, target_id, source_ids)
        moved: dict[str, Any] = await _move_following(tid, target_id, source_ids)
        moved["crm_customer_tag"] = await _move_tags(tid, target_id, source_ids)
        moved["crm_contact"], moved[DEMOTED] = await _move_contacts(tid, target_id, source_ids)
        marked = await scoped(Customer, tid).filter(id__in=source_ids, merged_into_id__isnull=True) \
            .update(merged_into_id=target_id)
        if marked != len(source_ids):  # a concurrent merge got there first (SQLite has no row locks)
            raise crm_error("ALREADY_MERGED", N_("This customer was already merged into another one."), ["sourceIds"])
        merge = await CustomerMerge.create(tenant_id=tid, target_id=target_id, source_ids=source_ids, moved=moved,
                                           actor_id=actor.user_id)
        await audit.record(actor, tid, "customer.merge", "CustomerMerge", merge.id, None,
                           {"target": target_id, "sources": source_ids, "moved": moved, "counts": _counts(moved)})
        target = await scoped(Customer, tid).get(id=target_id)
    return merge, target


async def get_merge(tenant_id: int, merge_id: int) -> CustomerMerge:
    merge = await scoped(CustomerMerge, tenant_id).filter(id=merge_id).first()
    if merge is None:
        raise crm_error("NOT_FOUND", N_("No such merge."), ["mergeId"])
    return merge


async def _move_back(tid: int, table: str, target_id: int, per_source: dict[str, list[int]]) -> int:
    """Recorded rows still on the target go back to their source; returns how many did."""
    model = TABLES[table]
    count = 0
    for source, ids in per_source.items():
        for chunk in _chunks(ids):
            rows = scoped(model, tid).filter(id__in=chunk, customer_id=target_id)
            if model is CustomerTag:
                # A tag the source got again since the merge: its moved link is redundant.
                again = scoped(CustomerTag, tid).filter(customer_id=int(source)).values_list("tag_id", flat=True)
                await rows.filter(tag_id__in=list(await again)).delete()
            count += await rows.update(customer_id=int(source))
    return count


async def unmerge_customers(actor: Principal, merge_id: int) -> tuple[CustomerMerge, list[Customer]]:
    """Undo a merge: exactly the recorded rows go back to their sources (rows the target got since
    stay), and the sources are customers of their own again. Returns the merge, target first."""
    tid = actor.tenant_id
    async with in_transaction():
        merge = await scoped(CustomerMerge, tid).filter(id=merge_id).select_for_update().first()
        if merge is None:
            raise crm_error("NOT_FOUND", N_("No such merge."), ["mergeId"])
        if merge.undone_at is not None:
            raise crm_error("ALREADY_UNDONE", N_("This merge was already undone."), ["mergeId"])
        target = await scoped(Customer, tid).filter(id=merge.target_id).select_for_update().first()
        if target is None or target.merged_into_id is not None:
            raise crm_error("TARGET_MERGED",
                            N_("The customer was merged into another one since: undo that merge first."), ["mergeId"])
        claimed = await scoped(CustomerMerge, tid).filter(id=merge.id, undone_at__isnull=True) \
            .update(undone_at=datetime.now(UTC), undone_by_id=actor.user_id)
        if claimed != 1:
            raise crm_error("ALREADY_UNDONE", N_("This merge was already undone."), ["mergeId"])
        moved = merge.moved
        restored = {table: await _move_back(tid, table, target.id, moved.get(table, {})) for table in TABLES}
        for chunk in _chunks(moved.get(DEMOTED, [])):
            await scoped(CustomerContact, tid).filter(id__in=chunk, customer_id__in=merge.source_ids) \
                .update(is_primary=True)
        await scoped(Customer, tid).filter(id__in=merge.source_ids, merged_into_id=target.id) \
            .update(merged_into_id=None)
        await audit.record(actor, tid, "customer.unmerge", "CustomerMerge", merge.id, None,
                           {"target": target.id, "sources": merge.source_ids, "restored": restored})
        await merge.refresh_from_db()
        customers = {c.id: c for c in await scoped(Customer, tid).filter(id__in=[target.id, *merge.source_ids])}
    return merge, [customers[pk] for pk in [target.id, *merge.source_ids] if pk in customers]
