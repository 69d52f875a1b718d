"""A customer's postal addresses (shipping or billing). Name, street lines and postcode are encrypted
at rest; the audit log records which address and which fields changed, never the text.

A customer with addresses of a kind has exactly one default of that kind: the first one added, until
another is made the default (which unsets the previous one in the same transaction). Removing the
default, or moving it to the other kind, hands the default to the oldest address left of the kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import Address, Customer
from modules.crm.services.customers import UNSET, get_customer
from modules.crm.services.errors import crm_error

KINDS = ("shipping", "billing")
MAX_PER_CUSTOMER = 50
# field -> (maximum length, required)
TEXT = {"name": (200, False), "line1": (200, True), "line2": (200, False), "postal_code": (20, False),
        "city": (100, False), "region": (100, False)}
CAMEL = {"postal_code": "postalCode"}


@dataclass
class AddressData:
    """What an add or update sets; UNSET leaves a field as it is (update)."""

    kind: Any = UNSET
    name: Any = UNSET
    line1: Any = UNSET
    line2: Any = UNSET
    postal_code: Any = UNSET
    city: Any = UNSET
    region: Any = UNSET
    country: Any = UNSET
    is_default: Any = UNSET
    given: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.given = {k: v for k, v in self.__dict__.items() if k != "given" and v is not UNSET}


def _validate(data: AddressData, creating: bool) -> dict[str, Any]:
    errors: list[UserFacingError] = []
    given = data.given
    values: dict[str, Any] = {}
    if creating or "kind" in given:
        kind = given.get("kind") or ("shipping" if creating else None)
        if kind not in KINDS:
            errors.append(crm_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["kind"],
                                    choices=", ".join(KINDS)))
        values["kind"] = kind
    for name, (maximum, required) in TEXT.items():
        if name not in given and not (creating and required):
            continue
        text = (given.get(name) or "").strip()
        path = [CAMEL.get(name, name)]
        if required and not text:
            errors.append(crm_error("REQUIRED", N_("This field is required."), path))
        elif len(text) > maximum:
            errors.append(crm_error("TOO_LONG", N_("At most {max} characters."), path, max=maximum))
        # Optional encrypted fields are NULL when empty; city and region are plain, "" when empty.
        values[name] = text if text or name in ("city", "region", "line1") else None
    if creating or "country" in given:
        if not given.get("country"):
            errors.append(crm_error("REQUIRED", N_("This field is required."), ["country"]))
        else:
            values["country"] = validation.collect(errors, validation.country, given["country"], ["country"])
    if "is_default" in given:
        if not isinstance(given["is_default"], bool):
            errors.append(crm_error("INVALID_VALUE", N_("true or false."), ["isDefault"]))
        values["is_default"] = given["is_default"]
    if errors:
        raise UserFacingErrors(errors)
    return values


async def _lock_customer(tenant_id: int, customer_id: int) -> None:
    """Check the customer, and (PostgreSQL) lock its row so that two changes of its addresses' defaults
    run one after the other."""
    await get_customer(tenant_id, customer_id)
    await scoped(Customer, tenant_id).filter(id=customer_id).select_for_update().first()


async def _settle_default(tenant_id: int, customer_id: int, kind: str, default_id: int | None = None) -> None:
    """Make `default_id` the only default of the customer's `kind`; without it, give the default to
    the oldest address of the kind when none has it."""
    same = scoped(Address, tenant_id).filter(customer_id=customer_id, kind=kind)
    if default_id is not None:
        await same.filter(is_default=True).exclude(id=default_id).update(is_default=False)
        await same.filter(id=default_id).update(is_default=True)
        return
    if not await same.filter(is_default=True).exists():
        oldest = await same.order_by("id").first()
        if oldest is not None:
            await same.filter(id=oldest.id).update(is_default=True)


async def get_address(tenant_id: int, address_id: int) -> Address:
    address = await scoped(Address, tenant_id).filter(id=address_id).first()
    if address is None:
        raise crm_error("NOT_FOUND", N_("No such address."), ["addressId"])
    return address


async def add_address(actor: Principal, customer_id: int, data: AddressData) -> Address:
    values = _validate(data, creating=True)
    tid = actor.tenant_id
    make_default = values.pop("is_default", False)
    async with in_transaction():
        await _lock_customer(tid, customer_id)
        if await scoped(Address, tid).filter(customer_id=customer_id).count() >= MAX_PER_CUSTOMER:
            raise crm_error("TOO_MANY", N_("A customer has at most {max} addresses."), ["customerId"],
                            max=MAX_PER_CUSTOMER)
        address = await Address.create(tenant_id=tid, customer_id=customer_id, **values)
        await _settle_default(tid, customer_id, address.kind, address.id if make_default else None)
        await address.refresh_from_db(fields=["is_default"])
        await audit.record(actor, tid, "customer.address.add", "Customer", customer_id, None,
                           {"address_id": address.id, "kind": address.kind, "is_default": address.is_default})
    return address


async def update_address(actor: Principal, address_id: int, data: AddressData) -> Address:
    values = _validate(data, creating=False)
    tid = actor.tenant_id
    make_default = values.pop("is_default", None)
    async with in_transaction():
        address = await get_address(tid, address_id)
        await _lock_customer(tid, address.customer_id)
        address = await get_address(tid, address_id)  # as it is now that no other change runs
        if make_default is False and address.is_default and values.get("kind", address.kind) == address.kind:
            raise crm_error("DEFAULT_REQUIRED", N_("Make another address of this kind the default instead."),
                            ["isDefault"])
        old_kind, was_default = address.kind, address.is_default
        changed = sorted(k for k, v in values.items() if getattr(address, k) != v)
        for name, value in values.items():
            setattr(address, name, value)
        if address.kind != old_kind:
            address.is_default = False  # the default of the other kind only if asked, or if it has none
        await address.save()
        await _settle_default(tid, address.customer_id, address.kind, address.id if make_default else None)
        if address.kind != old_kind:
            await _settle_default(tid, address.customer_id, old_kind)
        await address.refresh_from_db(fields=["is_default"])
        if address.is_default != was_default:
            changed = sorted([*changed, "is_default"])
        await audit.record(actor, tid, "customer.address.update", "Customer", address.customer_id, None,
                           {"address_id": address.id, "kind": address.kind, "fields_changed": changed})
    return address


async def remove_address(actor: Principal, address_id: int) -> Address:
    tid = actor.tenant_id
    async with in_transaction():
        address = await get_address(tid, address_id)
        await _lock_customer(tid, address.customer_id)
        await scoped(Address, tid).filter(id=address.id).delete()
        await _settle_default(tid, address.customer_id, address.kind)
        await audit.record(actor, tid, "customer.address.remove", "Customer", address.customer_id,
                           {"address_id": address.id, "kind": address.kind}, None)
    return address
