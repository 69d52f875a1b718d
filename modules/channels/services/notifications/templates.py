"""Notification templates: a name, a category and one text per language, checked whole on save.

Each variant's subject and body go through aftersales' reply-template sandbox (check_template):
only text and the placeholders its providers declare (customer.first_name, order.total,
order.date, refund.amount...), so an unknown placeholder is refused here, never at sending time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.services import check_template
from modules.channels.models import NotificationTemplate
from modules.channels.models.notification import CATEGORIES
from modules.channels.services.errors import channels_error as err

MAX_TEMPLATES = 500
MAX_VARIANTS = 30
MAX_SUBJECT = 255
UNSET: Any = object()


@dataclass(frozen=True)
class VariantInput:
    language: str
    body: str
    subject: str = ""


@dataclass
class TemplateChange:
    """UNSET keeps a field (update); `variants` replaces them all."""

    name: Any = UNSET
    category: Any = UNSET
    variants: Any = UNSET


def _variants(given: Sequence[VariantInput], errors: list[UserFacingError]) -> list[dict[str, str]]:
    if not given or len(given) > MAX_VARIANTS:
        errors.append(err("INVALID_VARIANTS", N_("List 1 to {max} language variants."), ["variants"],
                          max=MAX_VARIANTS))
    out: list[dict[str, str]] = []
    for i, v in enumerate(given[:MAX_VARIANTS]):
        path = ["variants", str(i)]
        language = validation.collect(errors, validation.language, v.language, field=[*path, "language"])
        if language is not None and any(o["language"] == language for o in out):
            errors.append(err("DUPLICATE_LANGUAGE", N_("Only one variant per language ({language})."),
                              [*path, "language"], language=language))
        subject = " ".join(v.subject.split())
        if not v.body.strip():
            errors.append(err("EMPTY_BODY", N_("A notification cannot be empty."), [*path, "body"]))
        if len(subject) > MAX_SUBJECT:
            errors.append(err("TOO_LONG", N_("At most {max} characters."), [*path, "subject"], max=MAX_SUBJECT))
        for name, source in (("subject", subject), ("body", v.body)):
            try:
                check_template(source, [*path, name])
            except UserFacingError as exc:
                errors.append(exc)
        out.append({"language": language or v.language, "subject": subject, "body": v.body})
    return out


async def _name(tid: int, given: Any, exclude: int | None, errors: list[UserFacingError]) -> str:
    name = " ".join(str(given or "").split())
    if not 1 <= len(name) <= 100:
        errors.append(err("INVALID_NAME", N_("A template name has 1 to 100 characters."), ["name"]))
        return name
    taken = scoped(NotificationTemplate, tid).filter(name=name)
    if await (taken.exclude(id=exclude) if exclude is not None else taken).exists():
        errors.append(err("NAME_TAKEN", N_("A template named {name} already exists."), ["name"], name=name))
    return name


def snapshot(row: NotificationTemplate) -> dict[str, Any]:
    return {"name": row.name, "category": row.category, "variants": row.variants}


async def get_template(tenant_id: int, template_id: int, path: str = "id") -> NotificationTemplate:
    row = await scoped(NotificationTemplate, tenant_id).filter(id=template_id).first()
    if row is None:
        raise err("NOT_FOUND", N_("No such notification template."), [path])
    return row


async def template_named(tenant_id: int, name: str) -> NotificationTemplate | None:
    return await scoped(NotificationTemplate, tenant_id).filter(name=" ".join(name.split())).first()


async def save_template(actor: Principal, template_id: int | None, change: TemplateChange) -> NotificationTemplate:
    """Create (no id) or change a template; every mistake at once, nothing saved on any."""
    tid = actor.tenant_id
    async with in_transaction():
        row = await get_template(tid, template_id) if template_id is not None else None
        errors: list[UserFacingError] = []
        values: dict[str, Any] = {}
        if change.name is not UNSET or row is None:
            values["name"] = await _name(tid, None if change.name is UNSET else change.name,
                                         row.id if row else None, errors)
        if change.category is not UNSET and change.category is not None:
            if change.category not in CATEGORIES:
                errors.append(err("INVALID_CATEGORY", N_("Choose one of: {choices}."), ["category"],
                                  choices=", ".join(CATEGORIES)))
            values["category"] = change.category
        if change.variants is not UNSET or row is None:
            values["variants"] = _variants([] if change.variants is UNSET else change.variants, errors)
        if row is None and await scoped(NotificationTemplate, tid).count() >= MAX_TEMPLATES:
            errors.append(err("TOO_MANY", N_("At most {max} items."), ["name"], max=MAX_TEMPLATES))
        if errors:
            raise UserFacingErrors(errors)
        before = snapshot(row) if row else None
        if row is None:
            row = await NotificationTemplate.create(tenant_id=tid, **values)
        else:
            row.update_from_dict(values)
            await row.save()
        await audit.record(actor, tid, "notification_template.create" if before is None else
                           "notification_template.update", "NotificationTemplate", row.id, before, snapshot(row))
    return row


async def delete_template(actor: Principal, template_id: int) -> None:
    """Rules naming it then fail with NOT_FOUND when they fire; sent notifications keep their text."""
    tid = actor.tenant_id
    async with in_transaction():
        row = await get_template(tid, template_id)
        before = snapshot(row)
        await row.delete()
        await audit.record(actor, tid, "notification_template.delete", "NotificationTemplate", template_id,
                           before, None)
