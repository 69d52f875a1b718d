"""Repairs: a received item goes through diagnosis and repair and back to the customer, each step
an event. When it is back with the customer the request ends: `repaired`, or `closed` when it could
not be repaired."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from core import audit
from core.auth.principal import Principal
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import Repair, RepairEvent
from modules.aftersales.models.returns import REPAIR_STATUSES
from modules.aftersales.services.errors import aftersales_error
from modules.aftersales.services.returns.requests import MAX_NOTE, check_transition, get_return, move

REPAIR_FLOW: dict[str, tuple[str, ...]] = {
    "received": ("diagnosing", "unrepairable"),
    "diagnosing": ("repairing", "unrepairable"),
    "repairing": ("repaired", "unrepairable"),
    "repaired": ("returned_to_customer",),
    "unrepairable": ("returned_to_customer",),
}


async def start_repair(actor: Principal, request_id: int, note: str = "") -> Repair:
    tid = actor.tenant_id
    async with in_transaction():
        request = await get_return(tid, request_id, lock=True)
        if request.status != "received" or await scoped(Repair, tid).filter(request_id=request.id).exists():
            raise aftersales_error("REPAIR_NOT_STARTABLE", N_("A repair starts once, for a received return."),
                               ["returnId"])
        repair = await Repair.create(tenant_id=tid, request_id=request.id, status="received")
        await RepairEvent.create(tenant_id=tid, repair_id=repair.id, status="received", note=note.strip()[:MAX_NOTE],
                                 actor_id=actor.user_id)
        await audit.record(actor, tid, "repair.start", "Repair", repair.id, None, {"return": request.id})
    return repair


async def advance_repair(actor: Principal, repair_id: int, status: str, note: str = "") -> Repair:
    tid = actor.tenant_id
    if status not in REPAIR_STATUSES:
        raise aftersales_error("INVALID_CHOICE", N_("Choose one of: {choices}."), ["status"],
                           choices=", ".join(REPAIR_STATUSES))
    async with in_transaction():
        repair = await scoped(Repair, tid).filter(id=repair_id).select_for_update().first()
        if repair is None:
            raise aftersales_error("NOT_FOUND", N_("No such repair."), ["repairId"])
        if status not in REPAIR_FLOW.get(repair.status, ()):
            raise aftersales_error("INVALID_REPAIR_STEP", N_("A repair that is {current} cannot become {target}."),
                               ["status"], current=repair.status, target=status)
        request = None
        if status == "returned_to_customer":
            request = await get_return(tid, repair.request_id, lock=True)
            outcome = "repaired" if repair.status == "repaired" else "closed"
            check_transition(request, outcome)
        before = repair.status
        repair.status = status
        await repair.save()
        await RepairEvent.create(tenant_id=tid, repair_id=repair.id, status=status, note=note.strip()[:MAX_NOTE],
                                 actor_id=actor.user_id)
        await audit.record(actor, tid, "repair.step", "Repair", repair.id, {"status": before}, {"status": status})
        if request is not None:
            await move(actor, request, "repaired" if before == "repaired" else "closed")
    return repair
