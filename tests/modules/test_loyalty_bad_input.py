"""Bad input over HTTP: every mistake a translated payload error at its field, and nothing written."""

from __future__ import annotations

from typing import Any

from core.access.admin import assign_role_by_name
from core.identity import add_user
from core.models import AuditEntry
from core.tenancy import scoped
from modules.loyalty.models import EarnRule, LedgerEntry, Program, Tier
from tests.conftest import PASSWORD, Api, TenantFixture
from tests.modules.automation_support import customer
from tests.modules.loyalty_support import ADJUST, CREATE_RULE, CREATE_TIER, LOYALTY, SET_PROGRAM, call, ok, program


async def test_mistakes_are_translated_payload_errors_and_write_nothing(api: Api, tenant: TenantFixture) -> None:
    cid = await customer(api, tenant)
    early = await call(api, tenant, CREATE_RULE, {"mode": "per_order", "points": 5})
    assert [(e["code"], e["message"]) for e in early["errors"]] == [("NO_PROGRAM", "Set up the loyalty program first.")]
    bad_program = await call(api, tenant, SET_PROGRAM, {"currency": "EURO", "pendingDays": -1,
                                                        "expiryPolicy": "per_lot", "expiryDays": 0,
                                                        "negativePolicy": "forgive"})
    assert sorted(e["code"] for e in bad_program["errors"]) == ["INVALID_CHOICE", "INVALID_CURRENCY", "OUT_OF_RANGE",
                                                                "OUT_OF_RANGE"]
    assert await scoped(Program, tenant.id).count() == 0
    await program(api, tenant)

    zero = await call(api, tenant, CREATE_RULE, {"mode": "per_amount", "points": 0}, lang="fr")
    assert zero["errors"] == [{"code": "ZERO_RATE", "field": ["points"], "message": "Une règle accorde au moins un point."}]
    no_step = await call(api, tenant, CREATE_RULE, {"mode": "per_amount", "points": 1, "per": "0"})
    assert no_step["errors"][0]["code"] == "ZERO_RATE" and no_step["errors"][0]["field"] == ["per"]
    unknown = await call(api, tenant, CREATE_RULE, {"event": "order_shipped", "mode": "per_unit", "points": 1},
                         lang="ja")
    assert unknown["errors"][0]["code"] == "UNKNOWN_EVENT" and unknown["errors"][0]["field"] == ["event"]
    assert unknown["errors"][0]["message"] == "不明なイベント order_shipped です。次から選んでください: order_paid。"
    assert await scoped(EarnRule, tenant.id).count() == 0

    await ok(api, tenant, CREATE_TIER, {"name": "Silver", "entryThreshold": "500", "retainThreshold": "400"})
    overlap = await call(api, tenant, CREATE_TIER, {"name": "Gold", "entryThreshold": "900",
                                                    "retainThreshold": "450"}, lang="de")
    assert overlap["errors"] == [{"code": "TIER_OVERLAP", "field": ["entryThreshold"],
                                  "message": "Diese Schwellen überschneiden sich mit der Stufe Silver."}]
    same = await call(api, tenant, CREATE_TIER, {"name": "silver", "entryThreshold": "500"})
    assert {e["code"] for e in same["errors"]} == {"DUPLICATE_NAME", "TIER_OVERLAP"}
    upside_down = await call(api, tenant, CREATE_TIER, {"name": "Gold", "entryThreshold": "900",
                                                        "retainThreshold": "950"})
    assert upside_down["errors"][0]["code"] == "RETAIN_ABOVE_ENTRY"
    basis = await call(api, tenant, SET_PROGRAM, {"currency": "EUR", "tierBasis": "spend"}, lang="es")
    assert basis["errors"] == [{"code": "TIERS_EXIST", "field": ["tierBasis"],
                                "message": "Elimina los niveles antes de cambiar lo que cuentan."}]
    fraction = await call(api, tenant, CREATE_TIER, {"name": "Gold", "entryThreshold": "900.5"})
    assert fraction["errors"][0]["code"] == "NOT_WHOLE"
    assert await scoped(Tier, tenant.id).count() == 1

    await ok(api, tenant, ADJUST, {"customerId": cid, "points": 10, "reason": "Gift"})
    below = await call(api, tenant, ADJUST, {"customerId": cid, "points": -11, "reason": "Oops"}, lang="zh-Hans")
    assert below["errors"] == [{"code": "BELOW_FLOOR", "field": ["points"],
                                "message": "最多可扣除 10 积分：即客户当前可用的积分。"}]
    assert await scoped(LedgerEntry, tenant.id).count() == 1
    assert await AuditEntry.filter(tenant_id=tenant.id, action="loyalty.adjust").count() == 1
    wrong_id = await call(api, tenant, ADJUST, {"customerId": "bm9wZTox", "points": 1, "reason": "x"})
    assert wrong_id["errors"][0]["code"] == "INVALID_ID"


async def test_program_and_points_need_their_permissions(api: Api, rt: Any, tenant: TenantFixture) -> None:
    await program(api, tenant)
    cid = await customer(api, tenant)
    user = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", PASSWORD)
    await assign_role_by_name(tenant.id, user.id, "agent")
    rt.access.invalidate(tenant.id)
    agent = await api.login(f"agent@{tenant.slug}.test", tenant.slug)
    for query, values in ((SET_PROGRAM, {"currency": "EUR"}),
                          (ADJUST, {"customerId": cid, "points": 1, "reason": "x"})):
        body = await api.post(query, {"i": values}, token=agent)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    seen = await api.data(LOYALTY, {"id": cid}, token=agent)  # an agent reads points
    assert seen["node"]["loyalty"]["balance"] == 0
    assert await scoped(LedgerEntry, tenant.id).count() == 0
