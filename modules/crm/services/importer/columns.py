"""The columns an import file may have, and the validation of one row.

A header is checked before any row is read: unknown and missing columns are whole-file errors.
Customers may have `custom.<key>` columns for the tenant's custom fields; orders may have line
columns (sku, product_name, quantity, unit_price: one row per order line, see docs/scripts.md).
A row gives its values as strings (`""` for an empty cell); `validate_*` returns the clean values
or the row's errors (every bad cell at once). Contact values come back normalised (lower-case
e-mail, E.164 phone), never encrypted here: the writer encrypts.
A `channel` column names each row's sales channel (a multichannel tool's export); an empty cell, or
a file without it, means the file's channel (--channel). `channel_id` and `has_channel` in the clean
values say which: has_channel without a channel_id is the file's channel, not created yet.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from core import money, validation
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.text import codepoint, forbidden_character
from modules.crm.models import CustomField, Tag
from modules.crm.models.customer import TIERS
from modules.crm.models.order import ORDER_STATUSES
from modules.crm.services.custom_fields import parse_text
from modules.crm.services.customers import check_birthday
from modules.crm.services.tags import ByName

MAX_COLUMNS = 500
MAX_CELL = 1000  # characters; longer cells are a row error (the widest column is 255)


def err(code: str, message: str, column: str | None = None, /, **params: object) -> UserFacingError:
    """A row or file error at `column`; keyword arguments are the message's parameters (`column=` too)."""
    return UserFacingError(code, message, field=[column] if column else None, params=params, domain="crm")


@dataclass(frozen=True)
class Spec:
    kind: str
    columns: tuple[str, ...]
    required: tuple[str, ...]  # every one must be in the header
    one_of: tuple[str, ...]  # at least one of these must be in the header


CUSTOMERS = Spec("customers", ("external_id", "channel", "email", "phone", "first_name", "last_name", "country",
                               "language", "currency", "tier", "birthday", "tags"), (), ("external_id", "email"))
LINE_COLUMNS = ("sku", "product_name", "quantity", "unit_price")
ORDERS = Spec("orders", ("external_id", "channel", "number", "customer_external_id", "customer_email", "status",
                         "currency", "total", "subtotal", "shipping", "tax", "discount", "placed_at", "paid_at",
                         "shipped_at", "delivered_at", "carrier", "tracking_number", *LINE_COLUMNS),
              ("external_id", "currency", "total", "placed_at"), ("customer_external_id", "customer_email"))
SPECS = {"customers": CUSTOMERS, "orders": ORDERS}
ORDER_ONLY = frozenset(c for c in ORDERS.columns if c not in LINE_COLUMNS)  # an order's own, not its lines'
AMOUNTS = ("total", "subtotal", "shipping", "tax", "discount")
CUSTOM = "custom."  # prefix of a custom field's column
MAX_QUANTITY = 1_000_000
DATES = ("placed_at", "paid_at", "shipped_at", "delivered_at")
TAG_SEPARATORS = re.compile(r"[;,]")
MAX_TAG = Tag._meta.fields_map["name"].max_length  # type: ignore[attr-defined]


def normalise_header(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def check_header(spec: Spec, header: Sequence[str], channel: str | None,
                 custom: Collection[str] = ()) -> list[str]:
    """The normalised header; raises UserFacingErrors naming every unknown, repeated or missing column.
    `custom`: the tenant's custom field keys (customers' `custom.<key>` columns)."""
    names = [normalise_header(h) for h in header]
    errors: list[UserFacingError] = []
    if len(names) > MAX_COLUMNS:
        raise err("TOO_MANY_COLUMNS", N_("The file has {count} columns; at most {max} are allowed."),
                  count=len(names), max=MAX_COLUMNS)
    known = (*spec.columns, *(CUSTOM + k for k in sorted(custom) if spec.kind == "customers"))
    unknown = [h for h, n in zip(header, names, strict=True) if n not in known]
    if unknown:
        errors.append(err("UNKNOWN_COLUMNS", N_("Unknown column(s): {columns}. Known columns: {known}."),
                          columns=", ".join(repr(u) for u in unknown[:20]), known=", ".join(known)))
    repeated = sorted({n for n in names if names.count(n) > 1 and n in known})
    if repeated:
        errors.append(err("REPEATED_COLUMNS", N_("Column(s) given twice: {columns}."), columns=", ".join(repeated)))
    missing = [c for c in spec.required if c not in names]
    if missing:
        errors.append(err("MISSING_COLUMNS", N_("Missing required column(s): {columns}."),
                          columns=", ".join(missing)))
    if spec.kind == "orders" and "sku" not in names and any(c in names for c in LINE_COLUMNS):
        errors.append(err("MISSING_COLUMNS", N_("Missing required column(s): {columns}."), columns="sku"))
    if "sku" in names and "unit_price" not in names:
        errors.append(err("MISSING_COLUMNS", N_("Missing required column(s): {columns}."), columns="unit_price"))
    if not any(c in names for c in spec.one_of):
        errors.append(err("MISSING_COLUMNS", N_("The file needs at least one of these columns: {columns}."),
                          columns=", ".join(spec.one_of)))
    needs_channel = "external_id" if spec.kind == "customers" else "customer_external_id"
    if needs_channel in names and not channel and "channel" not in names:
        errors.append(err("CHANNEL_REQUIRED", N_("The column {column} needs the sales channel those ids belong "
                                                 "to: --channel NAME (channelId through the API), or a channel "
                                                 "column."), needs_channel, column=needs_channel))
    if errors:
        raise UserFacingErrors(errors)
    return names


def _text(errors: list[UserFacingError], values: dict[str, str], name: str, max_len: int) -> str:
    text = values.get(name, "").strip()
    if len(text) > max_len:
        errors.append(err("TOO_LONG", N_("At most {max} characters."), name, max=max_len))
        return ""
    return text


def _optional(errors: list[UserFacingError], values: dict[str, str], name: str,
              check: Callable[..., Any], *args: Any) -> Any:
    raw = values.get(name, "").strip()
    if not raw:
        return None
    return validation.collect(errors, check, raw, *args, [name])


def _reject_bad_cells(errors: list[UserFacingError], values: dict[str, str]) -> None:
    """Cells too long to be a value, or holding characters no text may (NUL, other controls)."""
    for name, value in values.items():
        if len(value) > MAX_CELL:
            errors.append(err("TOO_LONG", N_("At most {max} characters."), name, max=MAX_CELL))
        elif (char := forbidden_character(value)) is not None:
            errors.append(err("INVALID_TEXT", N_("The cell holds a character that text may not hold ({char})."),
                              name, char=codepoint(char)))


def _custom(errors: list[UserFacingError], values: dict[str, str], defs: Mapping[str, CustomField]) -> dict[str, Any]:
    """The non-empty `custom.<key>` cells, as typed values checked against the tenant's definitions."""
    out: dict[str, Any] = {}
    for name, raw in values.items():
        if name.startswith(CUSTOM) and raw.strip():
            definition, text = defs[name[len(CUSTOM):]], raw.strip()
            if definition.type == "date":  # a spreadsheet's date cell reads as midnight; else as given
                with contextlib.suppress(UserFacingError):
                    text = parse_date(text, [name]).isoformat()
            value = validation.collect(errors, parse_text, definition, text, [name])
            if value is not None:
                out[name[len(CUSTOM):]] = value
    return out


class Channels(ByName):
    """The tenant's sales channels by name, for a row's `channel` cell, and the file's channel
    (--channel), which may not exist yet."""

    def __init__(self, names: Mapping[str, int], file_name: str | None = None, file_id: int | None = None) -> None:
        super().__init__(names)
        self.file_name, self.file_id = file_name, file_id

    def resolve(self, name: str, column: str) -> tuple[bool, int | None]:
        """(has a channel, its id) for a row whose channel cell is `name` (empty: the file's channel);
        raises CHANNEL_NOT_FOUND for a name the tenant does not have. Never creates a channel."""
        if not name or (self.file_name is not None and name.casefold() == self.file_name.casefold()):
            return self.file_name is not None, self.file_id
        channel_id = self.get(name)
        if channel_id is None:
            raise err("CHANNEL_NOT_FOUND", N_("No sales channel named {name} in this account: create it first, "
                                              "or correct the name."), column, name=name[:100])
        return True, channel_id


def _channel(errors: list[UserFacingError], out: dict[str, Any], values: dict[str, str], channels: Channels,
             needs: str) -> None:
    """The row's channel (`has_channel`, `channel_id`); the column `needs` (an external id) needs one."""
    resolved = validation.collect(errors, channels.resolve, values.get("channel", "").strip(), "channel")
    out["has_channel"], out["channel_id"] = resolved or (False, None)
    if resolved is not None and not out["has_channel"] and out[needs]:
        errors.append(err("CHANNEL_REQUIRED", N_("The column {column} needs the sales channel those ids belong "
                                                 "to: --channel NAME (channelId through the API), or a channel "
                                                 "column."), "channel", column=needs))


def _tags(errors: list[UserFacingError], values: dict[str, str]) -> list[str]:
    """The `tags` cell's names (separated by `;` or `,`), once each whatever their case."""
    names: dict[str, str] = {}
    for part in TAG_SEPARATORS.split(values.get("tags", "")):
        name = part.strip()
        if len(name) > MAX_TAG:
            errors.append(err("INVALID_NAME", N_("A tag name has 1 to 50 characters."), "tags"))
        elif name:
            names.setdefault(name.casefold(), name)
    return list(names.values())


def validate_customer(values: dict[str, str], channels: Channels,
                      defs: Mapping[str, CustomField] | None = None) -> dict[str, Any]:
    """Clean customer values (None: cell empty, leave as is; `custom`: the custom field values given);
    raises UserFacingErrors."""
    errors: list[UserFacingError] = []
    _reject_bad_cells(errors, values)
    if errors:
        raise UserFacingErrors(errors)
    out: dict[str, Any] = {
        "external_id": _text(errors, values, "external_id", 128) or None,
        "first_name": _text(errors, values, "first_name", 100) or None,
        "last_name": _text(errors, values, "last_name", 100) or None,
        "country": _optional(errors, values, "country", validation.country),
        "language": _optional(errors, values, "language", validation.language),
        "currency": _optional(errors, values, "currency", validation.currency),
        "email": _optional(errors, values, "email", validation.email),
        "tier": None,
        "birthday": _optional(errors, values, "birthday", parse_date),
        "tags": _tags(errors, values),
        "custom": _custom(errors, values, defs or {}),
    }
    if out["birthday"] is not None:
        out["birthday"] = validation.collect(errors, check_birthday, out["birthday"], ["birthday"])
    _channel(errors, out, values, channels, "external_id")
    phone = values.get("phone", "").strip()
    out["phone"] = validation.collect(errors, validation.phone, phone, out["country"], ["phone"]) if phone else None
    tier = values.get("tier", "").strip().lower()
    if tier:
        if tier not in TIERS:
            errors.append(err("INVALID_CHOICE", N_("Choose one of: {choices}."), "tier", choices=", ".join(TIERS)))
        out["tier"] = tier
    if not out["email"] and not (out["has_channel"] and out["external_id"]) and not errors:
        errors.append(err("KEY_REQUIRED", N_("A row needs an e-mail, or an external_id and its sales channel."),
                          "email"))
    if errors:
        raise UserFacingErrors(errors)
    return out


def parse_date(value: str, field: Sequence[str]) -> date:
    """An ISO 8601 date (`1964-04-04`), or a date and time at midnight as a spreadsheet's date cell is
    read (`1964-04-04T00:00:00`, `1964-04-04 00:00`, openpyxl's datetime): another time of day is refused,
    the column taking a date only."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UserFacingError("INVALID_DATE", N_("{value} is not an ISO 8601 date (1964-04-04)."),
                              field=list(field), params={"value": value[:40]}, domain="crm") from None
    if parsed.time() != time(0):
        raise UserFacingError("DATE_WITH_TIME", N_("{value} has a time of day: this column takes a date only "
                                                   "(1964-04-04)."),
                              field=list(field), params={"value": value[:40]}, domain="crm")
    return parsed.date()


def parse_datetime(value: str, field: Sequence[str]) -> datetime:
    """ISO 8601 (`2026-03-01T10:15:00+01:00`, `...Z`, `2026-03-01`, a spreadsheet's date and time cell
    `2026-03-01T10:15:00`); without an offset, UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UserFacingError("INVALID_DATETIME", N_("{value} is not an ISO 8601 date and time."),
                              field=list(field), params={"value": value[:40]}, domain="crm") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1970 <= parsed.year <= 2100:
        raise UserFacingError("INVALID_DATETIME", N_("{value} is not an ISO 8601 date and time."),
                              field=list(field), params={"value": value[:40]}, domain="crm")
    return parsed.astimezone(UTC)


def _line(errors: list[UserFacingError], values: dict[str, str], currency: str | None) -> dict[str, Any]:
    sku = values.get("sku", "").strip()
    if not sku or len(sku) > 64:
        errors.append(err("INVALID_SKU", N_("A SKU has 1 to 64 characters."), "sku"))
    raw = values.get("quantity", "").strip() or "1"
    quantity = int(raw) if raw.isdigit() else 0
    if not 0 < quantity <= MAX_QUANTITY:
        errors.append(err("INVALID_QUANTITY", N_("A quantity is between 1 and {max}."), "quantity", max=MAX_QUANTITY))
    price = values.get("unit_price", "").strip()
    unit_price = 0
    if not price:
        errors.append(err("REQUIRED", N_("This value is required."), "unit_price"))
    elif currency is not None:
        unit_price = validation.collect(errors, money.to_minor, price, currency, ["unit_price"]) or 0
        if unit_price < 0:
            errors.append(err("NEGATIVE_AMOUNT", N_("An amount cannot be negative."), "unit_price"))
    return {"sku": sku, "name": _text(errors, values, "product_name", 255), "quantity": quantity,
            "unit_price": unit_price}


def validate_later_line(order: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """A later row of an order whose first row was valid and whose order columns repeat it (the
    caller checked that with lines.continued): only its line is new, so only its line is validated,
    instead of the whole order again for every line (half of an orders import's validation time).
    Raises UserFacingErrors."""
    errors: list[UserFacingError] = []
    _reject_bad_cells(errors, {k: v for k, v in values.items() if k not in ORDER_ONLY})
    if errors:
        raise UserFacingErrors(errors)
    line = _line(errors, values, order["currency"])
    if errors:
        raise UserFacingErrors(errors)
    return {**order, "line": line}


def validate_order(values: dict[str, str], channels: Channels) -> dict[str, Any]:
    """Clean order values; with line columns, `line` holds the row's order line. Raises UserFacingErrors."""
    errors: list[UserFacingError] = []
    _reject_bad_cells(errors, values)
    if errors:
        raise UserFacingErrors(errors)
    out: dict[str, Any] = {
        "external_id": _text(errors, values, "external_id", 128),
        "customer_external_id": _text(errors, values, "customer_external_id", 128) or None,
        "customer_email": _optional(errors, values, "customer_email", validation.email),
        "carrier": _text(errors, values, "carrier", 64),
        "tracking_number": _text(errors, values, "tracking_number", 64),
    }
    if not out["external_id"]:
        errors.append(err("REQUIRED", N_("This value is required."), "external_id"))
    _channel(errors, out, values, channels, "customer_external_id")
    out["number"] = _text(errors, values, "number", 64) or out["external_id"]
    if not out["customer_external_id"] and not out["customer_email"] and "customer_email" not in {
            e.field[0] for e in errors if e.field}:
        errors.append(err("CUSTOMER_REQUIRED", N_("A row needs customer_external_id or customer_email."),
                          "customer_email"))
    status = values.get("status", "").strip().lower() or "pending"
    if status not in ORDER_STATUSES:
        errors.append(err("INVALID_CHOICE", N_("Choose one of: {choices}."), "status",
                          choices=", ".join(ORDER_STATUSES)))
    out["status"] = status
    currency = values.get("currency", "").strip()
    if not currency:
        errors.append(err("REQUIRED", N_("This value is required."), "currency"))
        out["currency"] = None
    else:
        out["currency"] = validation.collect(errors, validation.currency, currency, ["currency"])
    for name in AMOUNTS:
        raw = values.get(name, "").strip()
        if not raw:
            if name == "total":
                errors.append(err("REQUIRED", N_("This value is required."), name))
            out[name] = 0
            continue
        if out["currency"] is None:
            out[name] = 0
            continue
        minor = validation.collect(errors, money.to_minor, raw, out["currency"], [name])
        if minor is not None and minor < 0:
            errors.append(err("NEGATIVE_AMOUNT", N_("An amount cannot be negative."), name))
        if minor is not None and minor >= 2**62:
            errors.append(err("AMOUNT_TOO_LARGE", N_("This amount is too large."), name))
        out[name] = minor or 0
    for name in DATES:
        raw = values.get(name, "").strip()
        if not raw:
            if name == "placed_at":
                errors.append(err("REQUIRED", N_("This value is required."), name))
            out[name] = None
            continue
        out[name] = validation.collect(errors, parse_datetime, raw, [name])
    out["line"] = _line(errors, values, out["currency"]) if "sku" in values else None
    if errors:
        raise UserFacingErrors(errors)
    return out
