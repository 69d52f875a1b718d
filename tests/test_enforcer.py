"""The per-tenant enforcer answers exactly what the rows say (default roles included).

(Its speed is measured in bench/authz.py, not here.)"""

from __future__ import annotations

import random

from core.access.enforcer import build_enforcer


def test_implicit_permissions_match_the_rows_for_a_large_tenant() -> None:
    rng = random.Random(3)
    rows = [("p", "*", "role:admin", "team.role", "write")]
    grants: dict[str, set[tuple[str, str]]] = {"role:admin": {("team.role", "write")}}
    for r in range(30):
        for _ in range(8):
            pair = (f"res{rng.randrange(40)}", rng.choice(["read", "write"]))
            rows.append(("p", "9", f"role:r{r}", *pair))
            grants.setdefault(f"role:r{r}", set()).add(pair)
    holdings: dict[str, set[str]] = {}
    for u in range(3000):
        for role in rng.sample([*grants], rng.randint(1, 3)):
            rows.append(("g", "9", f"user:{u}", role, ""))
            holdings.setdefault(f"user:{u}", set()).add(role)
    rows.append(("p", "8", "role:r0", "other", "tenant"))  # another tenant's row must not leak in
    enforcer = build_enforcer([r for r in rows if r[1] in ("9", "*")], 9)
    for u in rng.sample(range(3000), 200):
        got = {(p[2], p[3]) for p in enforcer.get_implicit_permissions_for_user(f"user:{u}", "9")}
        expected = set().union(*(grants[r] for r in holdings[f"user:{u}"]))
        assert got == expected
    assert enforcer.get_implicit_permissions_for_user("user:nobody", "9") == []
