"""Build one tenant's casbin enforcer from the policy table (its rows plus the default roles)."""

from __future__ import annotations

import casbin
from casbin.model import Model

from core.access.subjects import DEFAULT_DOMAIN, domain
from core.models import PolicyRule

MODEL_TEXT = """
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
"""


def new_model() -> Model:
    model = Model()
    model.load_model_from_text(MODEL_TEXT)
    return model


def build_enforcer(rows: list[tuple[str, str, str, str, str]], tenant_id: int) -> casbin.Enforcer:
    """Rows are (ptype, domain, v0, v1, v2); default (`*`) rows are placed in the tenant's domain."""
    dom = domain(tenant_id)
    enforcer = casbin.Enforcer(new_model())
    # pycasbin's DomainManager defaults to an equality *matching function*, which makes every role
    # look-up scan all roles (quadratic in a tenant's users). Our names are exact: no pattern.
    enforcer.get_role_manager().add_matching_func(None)
    p_rules = [[v0, dom, v1, v2] for ptype, _, v0, v1, v2 in rows if ptype == "p"]
    g_rules = [[v0, v1, dom] for ptype, _, v0, v1, _ in rows if ptype == "g"]
    model = enforcer.get_model()
    if p_rules:
        model.add_policies("p", "p", p_rules)
    if g_rules:
        model.add_policies("g", "g", g_rules)
    enforcer.build_role_links()
    return enforcer


async def load_rows(tenant_id: int) -> list[tuple[str, str, str, str, str]]:
    rows = await PolicyRule.filter(domain__in=[domain(tenant_id), DEFAULT_DOMAIN]).values_list(
        "ptype", "domain", "v0", "v1", "v2"
    )
    return [tuple(r) for r in rows]
