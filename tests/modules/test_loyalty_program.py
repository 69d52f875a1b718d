"""The program, its rules and tiers over HTTP: read whole, changed, deleted, each change audited,
expiry's clock started when it is switched on, and nothing of another tenant's reachable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.auth.principal import Principal
from core.models import AuditEntry
from core.tenancy import scoped
from modules.loyalty.models import Lot
from modules.loyalty.services import adjust_points
from tests.conftest import Api, TenantFixture
from tests.modules.automation_support import customer
from tests.modules.loyalty_support import CREATE_TIER, call, ok, pk, program, rule

PROGRAM = """{ loyaltyProgram { currency expiryPolicy expiryStartedAt rules { id mode points per minAmount }
  tiers { id name entryThreshold retainThreshold } } }"""
UPDATE_RULE = """mutation($i: UpdateLoyaltyRuleInput!) { updateLoyaltyRule(input: $i) {
  rule { id mode points per minAmount } errors { code field message } } }"""
DELETE_RULE = """mutation($i: DeleteLoyaltyRuleInput!) { deleteLoyaltyRule(input: $i) { deletedId errors { code } } }"""
UPDATE_TIER = """mutation($i: UpdateLoyaltyTierInput!) { updateLoyaltyTier(input: $i) {
  tier { id name entryThreshold retainThreshold } errors { code field } } }"""
DELETE_TIER = """mutation($i: DeleteLoyaltyTierInput!) { deleteLoyaltyTier(input: $i) { deletedId errors { code } } }"""


async def test_rules_and_tiers_are_read_changed_and_deleted_with_audit(api: Api, tenant: TenantFixture,
                                                                       other_tenant: TenantFixture) -> None:
    assert (await api.data(PROGRAM, token=tenant.token))["loyaltyProgram"] is None
    await program(api, tenant, currency="JPY")
    made = await rule(api, tenant, mode="per_amount", points=1, per="100", minAmount="1000")
    assert (made["per"], made["minAmount"]) == ("100", "1000")  # yen have no decimals
    changed = await ok(api, tenant, UPDATE_RULE, {"id": made["id"], "rule": {"mode": "per_order", "points": 3}})
    assert changed["rule"] == {"id": made["id"], "mode": "per_order", "points": 3, "per": "1", "minAmount": "0"}
    silver = (await ok(api, tenant, CREATE_TIER, {"name": "Silver", "entryThreshold": "100"}))["tier"]
    gold = (await ok(api, tenant, CREATE_TIER, {"name": "Gold", "entryThreshold": "500"}))["tier"]
    moved = await call(api, tenant, UPDATE_TIER, {"id": gold["id"], "tier": {"name": "Gold", "entryThreshold": "100"}})
    assert moved["errors"][0]["code"] == "TIER_OVERLAP"
    moved = await ok(api, tenant, UPDATE_TIER, {"id": gold["id"], "tier": {"name": "Gold", "entryThreshold": "600",
                                                                           "retainThreshold": "450"}})
    assert moved["tier"] == {"id": gold["id"], "name": "Gold", "entryThreshold": "600", "retainThreshold": "450"}
    node = await api.data('query($id: ID!) { node(id: $id) { ... on LoyaltyRule { per } } }', {"id": made["id"]},
                          token=tenant.token)
    assert node["node"] == {"per": "1"}
    for query, gid in ((UPDATE_RULE, made["id"]), (UPDATE_TIER, silver["id"])):
        values = {"id": gid, "rule": {"points": 1}} if query == UPDATE_RULE else \
            {"id": gid, "tier": {"name": "X", "entryThreshold": "1"}}
        theirs = await call(api, other_tenant, query, values)
        assert theirs["errors"][0]["code"] in ("NOT_FOUND", "NO_PROGRAM"), theirs
    assert (await ok(api, tenant, DELETE_RULE, {"id": made["id"]}))["deletedId"] == made["id"]
    assert (await ok(api, tenant, DELETE_TIER, {"id": silver["id"]}))["deletedId"] == silver["id"]
    view = (await api.data(PROGRAM, token=tenant.token))["loyaltyProgram"]
    assert view["currency"] == "JPY" and view["rules"] == [] and [t["name"] for t in view["tiers"]] == ["Gold"]
    actions = await AuditEntry.filter(tenant_id=tenant.id, action__startswith="loyalty.").order_by("id") \
        .values_list("action", flat=True)
    assert list(actions) == ["loyalty.program.set", "loyalty.rule.create", "loyalty.rule.update",
                             "loyalty.tier.create", "loyalty.tier.create", "loyalty.tier.update",
                             "loyalty.rule.delete", "loyalty.tier.delete"]


async def test_switching_expiry_on_starts_its_clock_then(api: Api, tenant: TenantFixture) -> None:
    await program(api, tenant)
    cid = await customer(api, tenant)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    await adjust_points(Principal(tenant.admin_id, tenant.id), pk(cid), 10, "Old gift", now=long_ago)
    before = datetime.now(UTC)
    await program(api, tenant, expiryPolicy="per_lot", expiryDays=30)
    lot = await scoped(Lot, tenant.id).get()
    assert lot.expires_at is not None and lot.expires_at >= before + timedelta(days=30)  # not 370 days ago
    view = (await api.data(PROGRAM, token=tenant.token))["loyaltyProgram"]
    assert view["expiryPolicy"] == "per_lot" and datetime.fromisoformat(view["expiryStartedAt"]) >= before
    await program(api, tenant)  # switched off: no lot expires
    assert (await scoped(Lot, tenant.id).get()).expires_at is None
