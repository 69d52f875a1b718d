"""Segments: named rules over customers (the language is in modules/crm/services/rules.py), counted and
listed in SQL through the same filter as the customers list."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from tortoise.exceptions import OperationalError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import Customer, Segment, Tag
from modules.crm.services.custom_fields import field_defs
from modules.crm.services.errors import crm_error
from modules.crm.services.rules import check_rule, with_tags
from modules.crm.services.search import CustomerFilter, filter_customers
from modules.crm.services.tags import tags_named

log = logging.getLogger(__name__)
MAX_SEGMENTS = 200
UNSET: Any = object()


async def resolve_rule(tenant_id: int, rule: Any, path: Sequence[str] = ("rule",)
                       ) -> tuple[Any, list[UserFacingError]]:
    """The rule as stored (tag names given by a client replaced by the tags' ids, so a renamed tag keeps
    matching), and every mistake in it against this tenant's custom fields and tags."""
    checked = check_rule(rule, await field_defs(tenant_id), path)
    names = {v for v, _ in checked.tags if isinstance(v, str)}
    ids = {v for v, _ in checked.tags if isinstance(v, int)}
    by_name = await tags_named(tenant_id, names)  # whatever their case: `vip` is the tenant's `VIP`
    known = set(await scoped(Tag, tenant_id).filter(id__in=ids).values_list("id", flat=True)) if ids else set()
    for value, p in checked.tags:
        if (value not in by_name) if isinstance(value, str) else (value not in known):
            checked.errors.append(crm_error("NOT_FOUND", N_("No tag named {name}."), p, name=str(value)))
    return with_tags(rule, by_name), checked.errors


def matching(tenant_id: int, rule: dict[str, Any]) -> QuerySet[Customer]:
    """The customers a (checked) rule selects, as a lazy queryset."""
    return filter_customers(tenant_id, CustomerFilter(segment_rule=rule))


class BrokenRule(Exception):
    """A stored rule the database cannot evaluate (saved before the bounds of rules.py, or by hand)."""


async def count(tenant_id: int, rule: dict[str, Any]) -> int:
    """Customers matching now. A rule that fails to compile or to run raises BrokenRule: the caller
    reports that one segment, the others still count."""
    try:
        return await matching(tenant_id, rule).count()
    except (OperationalError, ValueError, OverflowError, KeyError, TypeError) as exc:
        log.warning("segment rule cannot be evaluated in tenant %s: %s", tenant_id, type(exc).__name__)
        raise BrokenRule from exc


async def get_segment(tenant_id: int, segment_id: int, field: str = "id") -> Segment:
    row = await scoped(Segment, tenant_id).filter(id=segment_id).first()
    if row is None:
        raise crm_error("NOT_FOUND", N_("No such segment."), [field])
    return row


async def _name_errors(tenant_id: int, name: Any, exclude: int | None) -> list[UserFacingError]:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        return [crm_error("INVALID_NAME", N_("A segment name has 1 to 100 characters."), ["name"])]
    taken = scoped(Segment, tenant_id).filter(name=name.strip())
    if exclude is not None:
        taken = taken.exclude(id=exclude)
    if await taken.exists():
        return [crm_error("NAME_TAKEN", N_("A segment named {name} already exists."), ["name"], name=name.strip())]
    return []


def _snapshot(row: Segment) -> dict[str, Any]:
    return {"name": row.name, "rule": row.rule}


async def create_segment(actor: Principal, name: str, rule: Any) -> Segment:
    tid = actor.tenant_id
    rule, rule_errors = await resolve_rule(tid, rule)
    errors = await _name_errors(tid, name, None) + rule_errors
    if await scoped(Segment, tid).count() >= MAX_SEGMENTS:
        errors.append(crm_error("TOO_MANY", N_("At most {max} segments."), ["name"], max=MAX_SEGMENTS))
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        row = await Segment.create(tenant_id=tid, name=name.strip(), rule=rule)
        await audit.record(actor, tid, "segment.create", "Segment", row.id, None, _snapshot(row))
    return row


async def update_segment(actor: Principal, segment_id: int, name: Any = UNSET, rule: Any = UNSET) -> Segment:
    tid = actor.tenant_id
    async with in_transaction():
        row = await get_segment(tid, segment_id)
        errors = []
        if name is not UNSET:
            errors += await _name_errors(tid, name, row.id)
        if rule is not UNSET:
            rule, rule_errors = await resolve_rule(tid, rule)
            errors += rule_errors
        if errors:
            raise UserFacingErrors(errors)
        before = _snapshot(row)
        if name is not UNSET:
            row.name = name.strip()
        if rule is not UNSET:
            row.rule = rule
        await row.save()
        await audit.record(actor, tid, "segment.update", "Segment", row.id, before, _snapshot(row))
    return row


async def delete_segment(actor: Principal, segment_id: int) -> None:
    tid = actor.tenant_id
    async with in_transaction():
        row = await get_segment(tid, segment_id)
        await row.delete()
        await audit.record(actor, tid, "segment.delete", "Segment", segment_id, _snapshot(row), None)
