"""Custom field definitions per tenant, and checking customers' values against them.

Values live in Customer.custom_fields (JSON): text and choice as strings, numbers as JSON numbers,
booleans as JSON booleans, dates as ISO strings (`2024-05-31`). A key's type never changes once defined
(delete and re-create it instead), so stored values and segment rules stay meaningful.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from tortoise import connections
from tortoise.expressions import RawSQL
from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import Customer, CustomField, Segment
from modules.crm.models.custom_field import FIELD_TYPES
from modules.crm.services.errors import crm_error
from modules.crm.services.rules import FieldDef, custom_keys

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 100
MAX_CHOICES = 100
MAX_TEXT = 1000
UNSET: Any = object()


async def definitions(tenant_id: int) -> dict[str, CustomField]:
    rows = await scoped(CustomField, tenant_id).order_by("key").limit(MAX_FIELDS)
    return {row.key: row for row in rows}


async def field_defs(tenant_id: int) -> dict[str, FieldDef]:
    """What segment rules need to know of the tenant's custom fields."""
    return {k: FieldDef(d.type, tuple(d.choices or ())) for k, d in (await definitions(tenant_id)).items()}


# --- values -----------------------------------------------------------------------------------


def check_values(errors: list[UserFacingError], given: Any, current: Mapping[str, Any] | None,
                 defs: Mapping[str, CustomField]) -> dict[str, Any]:
    """The customer's custom fields after applying `given` (UNSET: not given), errors appended.

    `given` is merged into the current values: a key set to null is removed. On create (`current` None)
    and whenever values are given, every required field must end up with a value. Keys stored before
    their definition was deleted are kept until written."""
    result = dict(current or {})
    if given is UNSET:
        if current is None:
            _required(errors, result, defs)
        return result
    if given is None:
        given = {}
    if not isinstance(given, dict):
        errors.append(crm_error("INVALID_CUSTOM_FIELDS", N_("Custom fields are a JSON object."), ["customFields"]))
        return result
    bad: set[str] = set()
    for key, value in given.items():
        path = ["customFields", str(key)]
        definition = defs.get(key)
        if definition is None:
            errors.append(crm_error("UNKNOWN_CUSTOM_FIELD", N_("There is no custom field {key}."), path, key=str(key)))
            continue
        if value is None:
            result.pop(key, None)
            continue
        try:
            result[key] = _value(definition, value, path)
        except UserFacingError as exc:
            errors.append(exc)
            result.pop(key, None)
            bad.add(key)
    _required(errors, result, {k: d for k, d in defs.items() if k not in bad})
    return result


def _required(errors: list[UserFacingError], values: Mapping[str, Any], defs: Mapping[str, CustomField]) -> None:
    for key, definition in defs.items():
        if definition.required and values.get(key) is None:
            errors.append(crm_error("REQUIRED", N_("{label} is required."), ["customFields", key],
                                    label=definition.label))


def _value(definition: CustomField, value: Any, path: list[str]) -> Any:
    kind = definition.type
    if kind == "text":
        if not isinstance(value, str):
            raise crm_error("INVALID_TYPE", N_("{label} takes text."), path, label=definition.label)
        if len(value) > MAX_TEXT:
            raise crm_error("TOO_LONG", N_("At most {max} characters."), path, max=MAX_TEXT)
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise crm_error("INVALID_TYPE", N_("{label} takes a number."), path, label=definition.label)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise crm_error("INVALID_TYPE", N_("{label} takes true or false."), path, label=definition.label)
        return value
    if kind == "date":
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise crm_error("INVALID_TYPE", N_("{label} takes an ISO date (2024-05-31)."), path,
                            label=definition.label) from None
    if value not in (definition.choices or []):
        raise crm_error("INVALID_CHOICE", N_("Choose one of: {choices}."), path, choices=", ".join(definition.choices))
    return value


TRUE = ("true", "yes", "1", "y")
FALSE = ("false", "no", "0", "n")


def parse_text(definition: CustomField, text: str, path: list[str]) -> Any:
    """A value given as text (an import file's cell) as its field's type, checked like an API value."""
    value: Any = text
    if definition.type == "number":
        try:
            value = int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            value = text  # refused below as not a number
    elif definition.type == "boolean":
        lowered = text.lower()
        value = True if lowered in TRUE else False if lowered in FALSE else text
    return _value(definition, value, path)


# --- definitions ------------------------------------------------------------------------------


def _check_definition(errors: list[UserFacingError], label: Any, kind: str, choices: Any) -> list[str]:
    if label is not UNSET and (not isinstance(label, str) or not label.strip() or len(label.strip()) > 100):
        errors.append(crm_error("INVALID_LABEL", N_("A label has 1 to 100 characters."), ["label"]))
    cleaned: list[str] = []
    if kind == "choice":
        if not isinstance(choices, list) or not choices or len(choices) > MAX_CHOICES:
            errors.append(crm_error("CHOICES_REQUIRED", N_("A choice field lists 1 to {max} choices."), ["choices"],
                                    max=MAX_CHOICES))
            return []
        for i, choice in enumerate(choices):
            text = choice.strip() if isinstance(choice, str) else ""
            if not text or len(text) > 100:
                errors.append(crm_error("INVALID_CHOICE", N_("A choice has 1 to 100 characters."), ["choices", str(i)]))
            elif text in cleaned:
                errors.append(crm_error("DUPLICATE_CHOICE", N_("{choice} is listed twice."), ["choices", str(i)],
                                        choice=text))
            else:
                cleaned.append(text)
    elif choices not in (UNSET, None, []):
        errors.append(crm_error("CHOICES_NOT_ALLOWED", N_("Only choice fields have choices."), ["choices"]))
    return cleaned


def _snapshot(row: CustomField) -> dict[str, Any]:
    return {"key": row.key, "label": row.label, "type": row.type, "choices": row.choices, "required": row.required}


async def create_field(actor: Principal, key: str, label: str, kind: str, choices: list[str] | None,
                       required: bool) -> CustomField:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    if not KEY.match(key or ""):
        errors.append(crm_error("INVALID_KEY", N_("A key is lower case letters, digits and _, starting with a letter "
                                                  "(at most 40)."), ["key"]))
    elif await scoped(CustomField, tid).filter(key=key).exists():
        errors.append(crm_error("KEY_TAKEN", N_("A custom field {key} already exists."), ["key"], key=key))
    if kind not in FIELD_TYPES:
        errors.append(crm_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["type"],
                                choices=", ".join(FIELD_TYPES)))
    cleaned = _check_definition(errors, label, kind, choices if choices is not None else UNSET)
    if await scoped(CustomField, tid).count() >= MAX_FIELDS:
        errors.append(crm_error("TOO_MANY", N_("At most {max} custom fields."), ["key"], max=MAX_FIELDS))
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        row = await CustomField.create(tenant_id=tid, key=key, label=label.strip(), type=kind, choices=cleaned,
                                       required=required)
        await audit.record(actor, tid, "custom_field.create", "CustomField", row.id, None, _snapshot(row))
    return row


async def get_field(tenant_id: int, field_id: int) -> CustomField:
    row = await scoped(CustomField, tenant_id).filter(id=field_id).first()
    if row is None:
        raise crm_error("NOT_FOUND", N_("No such custom field."), ["id"])
    return row


async def update_field(actor: Principal, field_id: int, label: Any = UNSET, choices: Any = UNSET,
                       required: Any = UNSET) -> CustomField:
    """Label, choices and the required flag change; key and type do not. Values already stored that a new
    list of choices leaves out stay until the customer is next written."""
    tid = actor.tenant_id
    async with in_transaction():
        row = await get_field(tid, field_id)
        errors: list[UserFacingError] = []
        cleaned = _check_definition(errors, label, row.type if choices is not UNSET else "", choices)
        if errors:
            raise UserFacingErrors(errors)
        before = _snapshot(row)
        if label is not UNSET:
            row.label = label.strip()
        if choices is not UNSET:
            row.choices = cleaned
        if required is not UNSET and required is not None:
            row.required = bool(required)
        await row.save()
        await audit.record(actor, tid, "custom_field.update", "CustomField", row.id, before, _snapshot(row))
    return row


def _json_key(key: str) -> tuple[str, str]:
    """SQL for "the key is present" and for "the JSON without the key", in this database's dialect."""
    assert KEY.match(key), key
    if connections.get("default").capabilities.dialect == "postgres":
        return f"(\"custom_fields\"->'{key}')", f"\"custom_fields\" - '{key}'"
    return f"json_type(\"custom_fields\", '$.{key}')", f"json_remove(\"custom_fields\", '$.{key}')"


async def delete_field(actor: Principal, field_id: int, force: bool = False) -> int:
    """Delete a definition; returns how many customers had a value.

    Refused (FIELD_IN_USE, with the count) while customers hold a value for it, unless `force`: then the
    values are removed from every customer of the tenant too, in the same transaction. Always refused
    (FIELD_IN_SEGMENT) while a segment's rule uses the field: edit or delete the segment first."""
    tid = actor.tenant_id
    async with in_transaction() as conn:
        row = await get_field(tid, field_id)
        present, removed = _json_key(row.key)
        in_use = scoped(Customer, tid).annotate(cf=RawSQL(present)).filter(cf__isnull=False)
        used = await in_use.count()
        for segment in await scoped(Segment, tid).limit(1000):
            if row.key in custom_keys(segment.rule):
                raise crm_error("FIELD_IN_SEGMENT", N_("The segment {name} uses this field: change it first."), ["id"],
                                name=segment.name)
        if used and not force:
            raise crm_error("FIELD_IN_USE", N_("{count} customers have a value for this field: delete with force to "
                                               "remove those values too."), ["id"], count=used)
        if used:
            placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
            # The key is a checked identifier (KEY) and the tenant a parameter: nothing user-typed in the SQL.
            await conn.execute_query(
                f"UPDATE crm_customer SET custom_fields = {removed} WHERE tenant_id = {placeholder} "  # noqa: S608
                f"AND {present} IS NOT NULL", [tid])
        await row.delete()
        await audit.record(actor, tid, "custom_field.delete", "CustomField", field_id, _snapshot(row),
                           {"values_removed": used})
    return used
