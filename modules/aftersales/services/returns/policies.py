"""Return policies: create, change and delete them, and find the one that decides for a line.

Resolution: for a destination country and a product category, the most specific row wins
(country+category, then country, then category, then the default). A tenant without any policy
gets BUILTIN (30 days, customer pays return shipping, no fee) so returns work from day one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, money, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import ReturnPolicy
from modules.aftersales.models.return_policy import SHIPPING_PAYERS
from modules.aftersales.services.errors import aftersales_error

MAX_WINDOW_DAYS = 3650
MAX_CATEGORIES = 100
DEFAULT_STALE_DAYS = 7


@dataclass
class PolicyData:
    name: str
    country: str = ""
    category: str = ""
    window_days: int = 30
    non_returnable_categories: Sequence[str] = ()
    return_shipping_paid_by: str = "customer"
    restocking_fee_bp: int = 0
    restocking_fee_fixed: Decimal | str = "0"
    restocking_fee_currency: str = ""
    stale_shipment_days: int = DEFAULT_STALE_DAYS


@dataclass(frozen=True)
class Terms:
    """What a policy says, whether it comes from a row or from BUILTIN."""

    window_days: int = 30
    non_returnable_categories: frozenset[str] = field(default_factory=frozenset)
    return_shipping_paid_by: str = "customer"
    restocking_fee_bp: int = 0
    restocking_fee_fixed: int = 0
    restocking_fee_currency: str = ""
    stale_shipment_days: int = DEFAULT_STALE_DAYS

    @classmethod
    def of(cls, row: ReturnPolicy) -> Terms:
        return cls(window_days=row.window_days, non_returnable_categories=frozenset(row.non_returnable_categories),
                   return_shipping_paid_by=row.return_shipping_paid_by, restocking_fee_bp=row.restocking_fee_bp,
                   restocking_fee_fixed=row.restocking_fee_fixed, restocking_fee_currency=row.restocking_fee_currency,
                   stale_shipment_days=row.stale_shipment_days)


BUILTIN = Terms()


def _clean(data: PolicyData) -> dict[str, Any]:
    """The row's values, or every bad field at once."""
    errors: list[UserFacingError] = []
    name = data.name.strip()
    if not 1 <= len(name) <= 100:
        errors.append(aftersales_error("INVALID_NAME", N_("A name has 1 to 100 characters."), ["name"]))
    country = validation.collect(errors, validation.country, data.country) if data.country.strip() else ""
    category = data.category.strip()
    if len(category) > 100:
        errors.append(aftersales_error("INVALID_CATEGORY", N_("A category has at most 100 characters."), ["category"]))
    if not 0 <= data.window_days <= MAX_WINDOW_DAYS:
        errors.append(aftersales_error("INVALID_WINDOW", N_("The return window is 0 to {max} days."), ["windowDays"],
                                   max=MAX_WINDOW_DAYS))
    categories = sorted({c.strip() for c in data.non_returnable_categories if c.strip()})
    if len(categories) > MAX_CATEGORIES or any(len(c) > 100 for c in categories):
        errors.append(aftersales_error("INVALID_CATEGORIES", N_("At most {max} categories of up to 100 characters."),
                                   ["nonReturnableCategories"], max=MAX_CATEGORIES))
    if data.return_shipping_paid_by not in SHIPPING_PAYERS:
        errors.append(aftersales_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["returnShippingPaidBy"],
                                   choices=", ".join(SHIPPING_PAYERS)))
    if not 0 <= data.restocking_fee_bp <= 10_000:
        errors.append(aftersales_error("INVALID_FEE_PERCENT",
                                   N_("A restocking fee is 0 to 10000 basis points (0 to 100%)."),
                                   ["restockingFeeBp"]))
    fixed, currency = 0, ""
    if data.restocking_fee_currency.strip():
        currency = validation.collect(errors, validation.currency, data.restocking_fee_currency,
                                      ["restockingFeeCurrency"]) or ""
    if currency:
        fixed = validation.collect(errors, money.to_minor, data.restocking_fee_fixed, currency,
                                   ["restockingFeeFixed"]) or 0
        if fixed < 0:
            errors.append(aftersales_error("NEGATIVE_AMOUNT", N_("An amount cannot be negative."),
                                       ["restockingFeeFixed"]))
    elif Decimal(str(data.restocking_fee_fixed or 0)) != 0:
        errors.append(aftersales_error("CURRENCY_REQUIRED", N_("A fixed fee needs its currency."),
                                   ["restockingFeeCurrency"]))
    if not 1 <= data.stale_shipment_days <= 365:
        errors.append(aftersales_error("INVALID_STALE_DAYS", N_("A shipment is stale after 1 to 365 days."),
                                   ["staleShipmentDays"]))
    if errors:
        raise UserFacingErrors(errors)
    return {"name": name, "country": country, "category": category, "window_days": data.window_days,
            "non_returnable_categories": categories, "return_shipping_paid_by": data.return_shipping_paid_by,
            "restocking_fee_bp": data.restocking_fee_bp, "restocking_fee_fixed": fixed,
            "restocking_fee_currency": currency, "stale_shipment_days": data.stale_shipment_days}


async def get_policy(tenant_id: int, policy_id: int) -> ReturnPolicy:
    policy = await scoped(ReturnPolicy, tenant_id).filter(id=policy_id).first()
    if policy is None:
        raise aftersales_error("NOT_FOUND", N_("No such return policy."), ["id"])
    return policy


async def _ensure_free(tenant_id: int, values: dict[str, object], exclude: int | None = None) -> None:
    same = scoped(ReturnPolicy, tenant_id).filter(country=values["country"], category=values["category"])
    if exclude is not None:
        same = same.exclude(id=exclude)
    if await same.exists():
        raise aftersales_error("POLICY_EXISTS", N_("A policy for this country and category already exists."),
                           ["country"])


def _snapshot(policy: ReturnPolicy) -> dict[str, object]:
    return {k: getattr(policy, k) for k in ("name", "country", "category", "window_days", "non_returnable_categories",
                                            "return_shipping_paid_by", "restocking_fee_bp", "restocking_fee_fixed",
                                            "restocking_fee_currency", "stale_shipment_days")}


async def create_policy(actor: Principal, data: PolicyData) -> ReturnPolicy:
    values = _clean(data)
    async with in_transaction():
        await _ensure_free(actor.tenant_id, values)
        policy = await ReturnPolicy.create(tenant_id=actor.tenant_id, **values)
        await audit.record(actor, actor.tenant_id, "return_policy.create", "ReturnPolicy", policy.id, None,
                           _snapshot(policy))
    return policy


async def update_policy(actor: Principal, policy_id: int, data: PolicyData) -> ReturnPolicy:
    """Replaces every field (the form sends the whole policy)."""
    values = _clean(data)
    async with in_transaction():
        policy = await get_policy(actor.tenant_id, policy_id)
        await _ensure_free(actor.tenant_id, values, exclude=policy.id)
        before = _snapshot(policy)
        policy.update_from_dict(values)
        await policy.save()
        await audit.record(actor, actor.tenant_id, "return_policy.update", "ReturnPolicy", policy.id, before,
                           _snapshot(policy))
    return policy


async def delete_policy(actor: Principal, policy_id: int) -> None:
    async with in_transaction():
        policy = await get_policy(actor.tenant_id, policy_id)
        await audit.record(actor, actor.tenant_id, "return_policy.delete", "ReturnPolicy", policy.id,
                           _snapshot(policy), None)
        await policy.delete()


class PolicyBook:
    """A tenant's policies loaded once, answering "which terms apply here" without more queries."""

    def __init__(self, rows: Sequence[ReturnPolicy]):
        self._rows = {(r.country, r.category): Terms.of(r) for r in rows}

    @classmethod
    async def load(cls, tenant_id: int) -> PolicyBook:
        return cls(await scoped(ReturnPolicy, tenant_id).limit(1000))

    def terms(self, country: str | None, category: str | None) -> Terms:
        country, category = (country or "").upper(), category or ""
        for key in ((country, category), (country, ""), ("", category), ("", "")):
            if key in self._rows and (key[0] == "" or country) and (key[1] == "" or category):
                return self._rows[key]
        return BUILTIN


async def stale_days(tenant_id: int) -> int:
    """After how many days without movement a return shipment is stale (the default policy's say)."""
    return (await PolicyBook.load(tenant_id)).terms(None, None).stale_shipment_days
