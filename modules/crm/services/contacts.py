"""E-mails and phones of a customer: normalised, encrypted, and findable by keyed hash."""

from __future__ import annotations

from collections.abc import Sequence

from core import validation
from core.crypto import cipher
from core.errors import UserFacingError
from core.tenancy import scoped
from modules.crm.models import Customer, CustomerContact


def contact_hash(kind: str, normalised: str) -> str:
    return cipher().blind_index(f"{kind}:{normalised}")


def normalise(kind: str, value: str, region: str | None, field: list[str]) -> str:
    return validation.email(value, field) if kind == "email" else validation.phone(value, region, field)


def validate_contacts(errors: list[UserFacingError], emails: Sequence[str] | None,
                      phones: Sequence[str] | None, region: str | None) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for kind, values in (("email", emails), ("phone", phones)):
        if values is None:
            continue
        clean = [validation.collect(errors, normalise, kind, v, region, [f"{kind}s", str(i)])
                 for i, v in enumerate(values)]
        result[kind] = list(dict.fromkeys(v for v in clean if v))
    return result


async def replace_contacts(tenant_id: int, customer_id: int, contacts: dict[str, list[str]]) -> None:
    """Set the customer's e-mails and/or phones (the first of each kind is primary)."""
    for kind, values in contacts.items():
        await scoped(CustomerContact, tenant_id).filter(customer_id=customer_id, kind=kind).delete()
        await CustomerContact.bulk_create([
            CustomerContact(tenant_id=tenant_id, customer_id=customer_id, kind=kind, value=v,
                            value_hash=contact_hash(kind, v), is_primary=i == 0)
            for i, v in enumerate(values)
        ])


def search_hashes(term: str, region: str | None) -> list[str]:
    """Hashes an exact e-mail or phone search could match (e-mails and phones are encrypted)."""
    hashes = []
    for kind in ("email", "phone"):
        try:
            hashes.append(contact_hash(kind, normalise(kind, term, region, [])))
        except UserFacingError:
            continue
    return hashes


async def customers_with(tenant_id: int, kind: str, value: str, region: str | None = None, limit: int = 10
                         ) -> list[int]:
    """The customers an e-mail address or phone number belongs to (the surviving one of a merge,
    erased customers left out), primary holders first, through the blind index; [] when nobody has
    it, or it is not a valid address or number."""
    try:
        normalised = normalise(kind, value, region, [])
    except UserFacingError:
        return []
    holders = [int(row["customer_id"]) for row in await (
        scoped(CustomerContact, tenant_id).filter(kind=kind, value_hash=contact_hash(kind, normalised))
        .order_by("-is_primary", "id").limit(limit).values("customer_id"))]
    customers = {int(c["id"]): c for c in await scoped(Customer, tenant_id).filter(id__in=holders)
                 .values("id", "merged_into_id", "stage")}
    found: dict[int, None] = {}
    for customer_id in holders:
        customer = customers.get(customer_id)
        if customer is not None and customer["stage"] != "erased":
            found[int(customer["merged_into_id"] or customer_id)] = None
    return list(found)


async def find_by_contact(tenant_id: int, kind: str, value: str) -> int | None:
    """The customer an e-mail address or phone number (`kind`) belongs to (see `customers_with`),
    or None."""
    found = await customers_with(tenant_id, kind, value)
    return found[0] if found else None


async def find_by_email(tenant_id: int, address: str) -> int | None:
    return await find_by_contact(tenant_id, "email", address)


async def primary_contact(tenant_id: int, customer_id: int, kind: str) -> str | None:
    """The customer's primary e-mail address or phone number (decrypted: for delivering a reply,
    never for logs)."""
    row = await (scoped(CustomerContact, tenant_id).filter(customer_id=customer_id, kind=kind)
                 .order_by("-is_primary", "id").first())
    return row.value if row else None


async def primary_email(tenant_id: int, customer_id: int) -> str | None:
    return await primary_contact(tenant_id, customer_id, "email")
