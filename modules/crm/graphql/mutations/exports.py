"""exportCustomers (a job building an XLSX) and export(id): its status and a signed download URL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from core import exports as core_exports
from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.permissions import Requires
from modules.crm.graphql import dataloaders
from modules.crm.graphql.queries import CustomerFilterInput
from modules.crm.graphql.queries import customer_filter as resolve_filter
from modules.crm.services import exports

READ = [Requires("crm.customer", "read")]


@strawberry.enum
class ExportState(Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


@strawberry.type(name="CustomerExport")
class ExportType:
    id: strawberry.ID
    status: ExportState
    row_count: int
    masked: bool = strawberry.field(description="Contact data masked: the requester lacked crm.customer.pii:read.")
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = strawberry.field(
        description="When DONE: a path on this API, signed and valid 15 minutes; no token needed to use it.")
    download_expires_at: datetime | None
    error_code: str | None = strawberry.field(description=(
        "Why a FAILED export failed: EXPORT_FAILED, or WORKER_LOST (its worker stopped, killed or out of "
        "memory, before finishing: ask for the export again)."))


@strawberry.input
class ExportCustomersInput:
    filter: CustomerFilterInput | None = None


@strawberry.type
class ExportPayload:
    export: ExportType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _type(info: Info, status: exports.ExportStatus, *, may_download: bool) -> ExportType:
    url = expires_at = None
    if status.status == "DONE" and may_download:
        token, expires = core_exports.sign_download(info.context.rt.settings, status.tenant_id, status.id)
        url, expires_at = f"/exports/{token}", datetime.fromtimestamp(expires, UTC)
    return ExportType(
        id=strawberry.ID(status.id), status=ExportState(status.status), row_count=status.rows, masked=not status.pii,
        created_at=datetime.fromisoformat(status.created_at),
        finished_at=datetime.fromisoformat(status.finished_at) if status.finished_at else None,
        download_url=url, download_expires_at=expires_at,
        error_code=status.error if status.status == "FAILED" else None)


@strawberry.type
class ExportQuery:
    @strawberry.field(permission_classes=READ, description="An export you requested (kept a day).")
    async def export(self, info: Info, id: strawberry.ID) -> ExportType | None:  # noqa: A002
        principal = info.context.require_principal()
        status = await exports.get_status(principal.tenant_id, str(id))
        if status is None or status.user_id != principal.user_id:
            return None
        # An unmasked file is handed out only while its requester may still see contact data.
        return _type(info, status, may_download=not status.pii or await dataloaders.can_see_pii(info))


@strawberry.type
class ExportMutations:
    @strawberry.mutation(permission_classes=READ, description="Customers matching the filter, to XLSX, built "
                                                              "in the background: poll export(id).")
    async def export_customers(self, info: Info, input: ExportCustomersInput) -> ExportPayload:  # noqa: A002
        ctx = info.context
        principal = ctx.require_principal()
        customer_filter = await resolve_filter(info, input.filter)
        pii = await dataloaders.can_see_pii(info)
        status, errors = await attempt(info, exports.request_export(
            ctx.rt.redis, principal, customer_filter, pii=pii, region=ctx.tenant_region, locale=ctx.locale))
        return ExportPayload(export=_type(info, status, may_download=False) if status else None, errors=errors)
