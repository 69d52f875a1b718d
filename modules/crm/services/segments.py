"""Segments: named rules over customers (the language is in modules/crm/services/rules.py), counted and
listed in SQL through the same filter as the customers list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import Customer, Segment, Tag
from modules.crm.services.custom_fields import field_defs
from modules.crm.services.rules import check_rule
from modules.crm.services.search import CustomerFilter, filter_customers

MAX_SEGMENTS = 200
UNSET: Any = object()


def _err(code: str, message: str, path: Sequence[str], **params: object) -> UserFacingError:
    return UserFacingError(code, message, field=list(path), params=params, domain="crm")


async def rule_errors(tenant_id: int, rule: Any, path: Sequence[str] = ("rule",)) -> list[UserFacingError]:
    """Every mistake in a rule, against this tenant's custom fields and tags."""
    checked = check_rule(rule, await field_defs(tenant_id), path)
    if checked.tags:
        known = set(await scoped(Tag, tenant_id).filter(name__in=[n for n, _ in checked.tags])
                    .values_list("name", flat=True))
        checked.errors += [_err("NOT_FOUND", N_("No tag named {name}."), p, name=n)
                           for n, p in checked.tags if n not in known]
    return checked.errors


def matching(tenant_id: int, rule: dict[str, Any]) -> QuerySet[Customer]:
    """The customers a (checked) rule selects, as a lazy queryset."""
    return filter_customers(tenant_id, CustomerFilter(segment_rule=rule))


async def count(tenant_id: int, rule: dict[str, Any]) -> int:
    return await matching(tenant_id, rule).count()


async def get_segment(tenant_id: int, segment_id: int, field: str = "id") -> Segment:
    row = await scoped(Segment, tenant_id).filter(id=segment_id).first()
    if row is None:
        raise _err("NOT_FOUND", N_("No such segment."), [field])
    return row


async def _name_errors(tenant_id: int, name: Any, exclude: int | None) -> list[UserFacingError]:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        return [_err("INVALID_NAME", N_("A segment name has 1 to 100 characters."), ["name"])]
    taken = scoped(Segment, tenant_id).filter(name=name.strip())
    if exclude is not None:
        taken = taken.exclude(id=exclude)
    if await taken.exists():
        return [_err("NAME_TAKEN", N_("A segment named {name} already exists."), ["name"], name=name.strip())]
    return []


def _snapshot(row: Segment) -> dict[str, Any]:
    return {"name": row.name, "rule": row.rule}


async def create_segment(actor: Principal, name: str, rule: Any) -> Segment:
    tid = actor.tenant_id
    errors = await _name_errors(tid, name, None) + await rule_errors(tid, rule)
    if await scoped(Segment, tid).count() >= MAX_SEGMENTS:
        errors.append(_err("TOO_MANY", N_("At most {max} segments."), ["name"], max=MAX_SEGMENTS))
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
            errors += await rule_errors(tid, rule)
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
