"""Creating and editing customers, their tags and notes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import audit, events, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import Customer, CustomerTag, CustomField, Note, Tag
from modules.crm.services import custom_fields, tags
from modules.crm.services import values as coded
from modules.crm.services.contacts import replace_contacts, validate_contacts
from modules.crm.services.errors import crm_error

UNSET: Any = object()
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Audited fields: never contact data, which lives (encrypted) in its own table.
AUDITED = ("first_name", "last_name", "country", "language", "timezone", "currency", "birthday",
           "marketing_consent", "consent_source", "tier", "stage", "custom_fields")


@dataclass
class CustomerData:
    """What a create or update sets; UNSET leaves a field as it is (update)."""

    first_name: Any = UNSET
    last_name: Any = UNSET
    emails: Any = UNSET
    phones: Any = UNSET
    country: Any = UNSET
    language: Any = UNSET
    timezone: Any = UNSET
    currency: Any = UNSET
    birthday: Any = UNSET
    marketing_consent: Any = UNSET
    consent_source: Any = UNSET
    tier: Any = UNSET
    stage: Any = UNSET
    custom_fields: Any = UNSET
    given: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.given = {k: v for k, v in self.__dict__.items() if k != "given" and v is not UNSET}


def check_birthday(birthday: Any, path: Sequence[str]) -> date:
    """A birthday is a past date after 1900 (the API's and the importer's rule)."""
    if not isinstance(birthday, date) or birthday > date.today() or birthday.year < 1900:
        raise crm_error("INVALID_BIRTHDAY", N_("A birthday is a past date after 1900."), list(path))
    return birthday


def _validate(data: CustomerData, current: Customer | None, definitions: Mapping[str, CustomField]
              ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Every field's mistakes at once; `definitions` are the tenant's custom fields (loaded by the caller)."""
    errors: list[UserFacingError] = []
    given = data.given
    values: dict[str, Any] = {}
    for name in ("first_name", "last_name"):
        if name in given:
            text = (given[name] or "").strip()
            if len(text) > 100:
                errors.append(crm_error("TOO_LONG", N_("At most {max} characters."), [name], max=100))
            values[name] = text
    checks = {"country": coded.country, "language": coded.language, "timezone": validation.timezone,
              "currency": coded.currency}
    for name, check in checks.items():
        if name in given:
            values[name] = None if not given[name] else validation.collect(errors, check, given[name], [name])
    if "birthday" in given:
        birthday = given["birthday"]
        if birthday is not None:
            validation.collect(errors, check_birthday, birthday, ["birthday"])
        values["birthday"] = birthday
    for name, choice in (("tier", coded.tier), ("stage", coded.stage)):
        if name in given:
            validation.collect(errors, choice, given[name], [name])
            values[name] = given[name]
    if "marketing_consent" in given:
        values["marketing_consent"] = bool(given["marketing_consent"])
        if current is None or current.marketing_consent != values["marketing_consent"]:
            values["consent_at"] = datetime.now(UTC)
        source = (given.get("consent_source") or "").strip()
        if values["marketing_consent"] and not source:
            errors.append(crm_error("CONSENT_SOURCE_REQUIRED",
                                    N_("Say where the customer gave consent (web form, checkout...)."),
                                    ["consentSource"]))
        values["consent_source"] = source[:50]
    if "custom_fields" in given or current is None:
        values["custom_fields"] = custom_fields.check_values(
            errors, given.get("custom_fields", custom_fields.UNSET), current.custom_fields if current else None,
            definitions)
    region = values.get("country") or (current.country if current else None)
    contacts = validate_contacts(errors, given.get("emails"), given.get("phones"), region)
    if errors:
        raise UserFacingErrors(errors)
    return values, contacts


def _snapshot(customer: Customer) -> dict[str, Any]:
    snap = {name: getattr(customer, name) for name in AUDITED}
    snap["birthday"] = snap["birthday"].isoformat() if snap["birthday"] else None
    return snap


async def create_customer(actor: Principal, data: CustomerData) -> Customer:
    tid = actor.tenant_id
    values, contacts = _validate(data, None, await custom_fields.definitions(tid))
    async with in_transaction():
        customer = Customer(tenant_id=tid, **values)
        customer.display_name = f"{customer.first_name} {customer.last_name}".strip()
        await customer.save()
        await replace_contacts(tid, customer.id, contacts)
        await audit.record(actor, tid, "customer.create", "Customer", customer.id, None, _snapshot(customer))
        await events.emit(CREATED, {"customer_id": customer.id, "tier": customer.tier, "stage": customer.stage,
                                    "country": customer.country, "language": customer.language,
                                    "marketing_consent": customer.marketing_consent}, tenant_id=tid)
    return customer


CREATED = "crm.customer.created"  # its payload: codes and flags, never contact data


async def get_customer(tenant_id: int, customer_id: int) -> Customer:
    customer = await scoped(Customer, tenant_id).filter(id=customer_id).first()
    if customer is None:
        raise crm_error("NOT_FOUND", N_("No such customer."), ["customerId"])
    if customer.stage == "erased":
        raise crm_error("CUSTOMER_ERASED", N_("This customer's data was erased on request."), ["customerId"])
    if customer.merged_into_id is not None:
        raise crm_error("CUSTOMER_MERGED", N_("This customer was merged into another one: edit that one."),
                        ["customerId"])
    return customer


async def update_customer(actor: Principal, customer_id: int, data: CustomerData) -> Customer:
    tid = actor.tenant_id
    async with in_transaction():
        customer = await get_customer(tid, customer_id)
        values, contacts = _validate(data, customer, await custom_fields.definitions(tid))
        before = _snapshot(customer)
        for name, value in values.items():
            setattr(customer, name, value)
        customer.display_name = f"{customer.first_name} {customer.last_name}".strip()
        await customer.save()
        await replace_contacts(tid, customer.id, contacts)
        after = _snapshot(customer)
        if contacts:
            after["contacts_changed"] = sorted(contacts)
        await audit.record(actor, tid, "customer.update", "Customer", customer.id, before, after)
    return customer


async def add_note(actor: Principal, customer_id: int, body: str) -> Note:
    body = body.strip()
    if not body or len(body) > 10_000:
        raise crm_error("INVALID_NOTE", N_("A note has 1 to 10,000 characters."), ["body"])
    tid = actor.tenant_id
    async with in_transaction():
        await get_customer(tid, customer_id)
        note = await Note.create(tenant_id=tid, customer_id=customer_id, author_id=actor.user_id, body=body)
        await audit.record(actor, tid, "customer.note", "Customer", customer_id, None, {"note_id": note.id})
    return note


def _name_taken(name: str) -> UserFacingError:
    return crm_error("TAG_NAME_TAKEN", N_("A tag named {name} already exists."), ["name"], name=name)


async def create_tag(actor: Principal, name: str, colour: str | None) -> Tag:
    """A new tag; refused when the tenant has one of that name in any case (`vip` while `VIP` exists), as
    the importer would link `vip` to `VIP` (services/tags.py)."""
    tid = actor.tenant_id
    name = name.strip()
    errors = []
    async with in_transaction():
        if not name or len(name) > 50:
            errors.append(crm_error("INVALID_NAME", N_("A tag name has 1 to 50 characters."), ["name"]))
        elif (existing := await tags.tag_named(tid, name)) is not None:
            errors.append(_name_taken(existing.name))
        if colour is not None and not COLOUR.match(colour):
            errors.append(crm_error("INVALID_COLOUR", N_("A colour is #RRGGBB."), ["colour"]))
        if errors:
            raise UserFacingErrors(errors)
        tag = Tag(tenant_id=tid, name=name)
        if colour:
            tag.colour = colour.lower()
        try:
            await tag.save()
        except IntegrityError:  # created meanwhile by another request (the unique index on lower(name))
            raise _name_taken(name) from None
        await audit.record(actor, tid, "tag.create", "Tag", tag.id, None, {"name": name})
    return tag


BULK_LIMIT = 10_000
BATCH = 1_000


async def set_tags(actor: Principal, tag_ids: Sequence[int], customer_ids: Sequence[int], tagged: bool) -> int:
    """Tag (or untag) the listed customers, all or nothing; returns how many links changed."""
    tag_ids, customer_ids = list(dict.fromkeys(tag_ids)), list(dict.fromkeys(customer_ids))
    if len(customer_ids) > BULK_LIMIT:
        raise crm_error("TOO_MANY", N_("At most {max} customers at once."), ["customerIds"], max=BULK_LIMIT)
    async with in_transaction():
        changed = await _set_tags(actor, tag_ids, customer_ids, tagged)
        await _audit_tags(actor, tag_ids, tagged, len(customer_ids), changed)
    return changed


async def set_tags_matching(actor: Principal, tag_ids: Sequence[int], matching: QuerySet[Customer],
                            tagged: bool) -> int:
    """Tag (or untag) every customer a filter matches, in batches inside one transaction."""
    tag_ids = list(dict.fromkeys(tag_ids))
    changed = seen = last = 0
    async with in_transaction():
        while True:
            ids = [int(str(i)) for i in await matching.filter(id__gt=last).order_by("id").limit(BATCH)
                   .values_list("id", flat=True)]
            if not ids:
                break
            changed += await _set_tags(actor, tag_ids, ids, tagged)
            seen, last = seen + len(ids), ids[-1]
        await _audit_tags(actor, tag_ids, tagged, seen, changed)
    return changed


async def _set_tags(actor: Principal, tag_ids: list[int], customer_ids: list[int], tagged: bool) -> int:
    tid = actor.tenant_id
    known_tags = set(await scoped(Tag, tid).filter(id__in=tag_ids).values_list("id", flat=True))
    known_customers = set(await scoped(Customer, tid).filter(id__in=customer_ids, merged_into_id__isnull=True)
                          .values_list("id", flat=True))
    errors = [crm_error("NOT_FOUND", N_("No such tag."), ["tagIds", str(i)])
              for i, t in enumerate(tag_ids) if t not in known_tags]
    errors += [crm_error("NOT_FOUND", N_("No such customer."), ["customerIds", str(i)])
               for i, c in enumerate(customer_ids) if c not in known_customers]
    if errors:
        raise UserFacingErrors(errors)
    links = scoped(CustomerTag, tid).filter(tag_id__in=tag_ids, customer_id__in=customer_ids)
    existing = {(c, t) for c, t in await links.values_list("customer_id", "tag_id")}
    if tagged:
        new = [CustomerTag(tenant_id=tid, customer_id=c, tag_id=t)
               for c in customer_ids for t in tag_ids if (c, t) not in existing]
        await CustomerTag.bulk_create(new, batch_size=1000)
        return len(new)
    await links.delete()
    return len(existing)


async def _audit_tags(actor: Principal, tag_ids: list[int], tagged: bool, customers: int, changed: int) -> None:
    await audit.record(actor, actor.tenant_id, "customer.tag" if tagged else "customer.untag", "Tag",
                       ",".join(map(str, tag_ids)), None, {"customers": customers, "changed": changed})
