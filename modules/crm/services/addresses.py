"""A customer's postal addresses (shipping or billing). Name, street lines and postcode are encrypted
at rest; the audit log records which address and which fields changed, never the text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import Address
from modules.crm.services.customers import UNSET, _err, get_customer

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
            errors.append(_err("INVALID_CHOICE", N_("Choose one of: {choices}."), ["kind"],
                               choices=", ".join(KINDS)))
        values["kind"] = kind
    for name, (maximum, required) in TEXT.items():
        if name not in given and not (creating and required):
            continue
        text = (given.get(name) or "").strip()
        path = [CAMEL.get(name, name)]
        if required and not text:
            errors.append(_err("REQUIRED", N_("This field is required."), path))
        elif len(text) > maximum:
            errors.append(_err("TOO_LONG", N_("At most {max} characters."), path, max=maximum))
        # Optional encrypted fields are NULL when empty; city and region are plain, "" when empty.
        values[name] = text if text or name in ("city", "region", "line1") else None
    if creating or "country" in given:
        if not given.get("country"):
            errors.append(_err("REQUIRED", N_("This field is required."), ["country"]))
        else:
            values["country"] = validation.collect(errors, validation.country, given["country"], ["country"])
    if errors:
        raise UserFacingErrors(errors)
    return values


async def get_address(tenant_id: int, address_id: int) -> Address:
    address = await scoped(Address, tenant_id).filter(id=address_id).first()
    if address is None:
        raise _err("NOT_FOUND", N_("No such address."), ["addressId"])
    return address


async def add_address(actor: Principal, customer_id: int, data: AddressData) -> Address:
    values = _validate(data, creating=True)
    tid = actor.tenant_id
    async with in_transaction():
        await get_customer(tid, customer_id)
        if await scoped(Address, tid).filter(customer_id=customer_id).count() >= MAX_PER_CUSTOMER:
            raise _err("TOO_MANY", N_("A customer has at most {max} addresses."), ["customerId"],
                       max=MAX_PER_CUSTOMER)
        address = await Address.create(tenant_id=tid, customer_id=customer_id, **values)
        await audit.record(actor, tid, "customer.address.add", "Customer", customer_id, None,
                           {"address_id": address.id, "kind": address.kind})
    return address


async def update_address(actor: Principal, address_id: int, data: AddressData) -> Address:
    values = _validate(data, creating=False)
    tid = actor.tenant_id
    async with in_transaction():
        address = await get_address(tid, address_id)
        await get_customer(tid, address.customer_id)
        changed = sorted(k for k, v in values.items() if getattr(address, k) != v)
        for name, value in values.items():
            setattr(address, name, value)
        await address.save()
        await audit.record(actor, tid, "customer.address.update", "Customer", address.customer_id, None,
                           {"address_id": address.id, "kind": address.kind, "fields_changed": changed})
    return address


async def remove_address(actor: Principal, address_id: int) -> Address:
    tid = actor.tenant_id
    async with in_transaction():
        address = await get_address(tid, address_id)
        await get_customer(tid, address.customer_id)
        await scoped(Address, tid).filter(id=address.id).delete()
        await audit.record(actor, tid, "customer.address.remove", "Customer", address.customer_id,
                           {"address_id": address.id, "kind": address.kind}, None)
    return address
