"""Permission-check latency: `core.access.AccessControl` against casbin's plain `Enforcer`.

The data set: N tenants (5,000 by default), each with 20 roles of its own (8 to 12 resource:action
grants each, mean 10) and 5 users holding 1 to 3 roles; a user's role is sometimes one of the team
module's default roles (domain `*`, read from modules/team/security.csv), as in production.

(a) ours: `AccessControl` with an in-memory loader that returns each tenant's rows in the format
    `core.access.enforcer.load_rows` returns, so no database round trip is in any figure:
    - cold tenant: the first check in a tenant (load rows, build its enforcer, the user's set);
    - cold user: the tenant is cached, the user's first check (one `get_implicit_permissions...`);
    - warm: everything cached, checks spread over all tenants;
    - mixed: a fresh cache of `max_tenants` (2,000, the production default) under traffic over
      all tenants, uniform and skewed (Zipf), so the LRU evicts and reloads;
    - large tenants: the cold check in one tenant with many users (how tenant size costs).
(b) baseline: one plain `casbin.Enforcer` (model `MODEL_TEXT`) holding every rule of the first
    50, 500 and all tenants (loaded through an adapter that appends, as casbin's file adapter
    does). It scans every rule on each check, so only a few checks are timed at the larger scales.

Every baseline check is also asked of ours and the answers must agree (asserted), and every one
of ours is compared with the answer computed from the data set directly.

    .venv/bin/python bench/authz.py            # full run, about 2 to 4 minutes on 2 cores
    .venv/bin/python bench/authz.py --quick    # 500 tenants, well under a minute
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import math
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import casbin
from casbin.model import Model
from casbin.persist.adapter import Adapter

from core.access import AccessControl
from core.access.control import Loader
from core.access.enforcer import MODEL_TEXT
from core.access.subjects import DEFAULT_DOMAIN, domain, role_subject, user_subject

Row = tuple[str, str, str, str, str]  # (ptype, domain, v0, v1, v2), as load_rows returns
Pair = tuple[str, str]  # (resource, action)
Check = tuple[int, int, str, str]  # (user id, tenant id, resource, action)

ROOT = Path(__file__).resolve().parents[1]
SECURITY_CSV = ROOT / "modules" / "team" / "security.csv"
ROLES_PER_TENANT = 20
USERS_PER_TENANT = 5
RESOURCES = [f"{m}.{o}" for m in ("crm", "aftersales", "loyalty", "feedback", "shop", "report")
             for o in ("customer", "ticket", "order", "note", "export")]
ACTIONS = ("read", "write", "delete", "export")
TIMER: Callable[[], int] = time.perf_counter_ns


# ---------------------------------------------------------------------------------------------
# The data set


@dataclass
class Dataset:
    tenants: int
    rows: dict[int, list[Row]] = field(default_factory=dict)  # each tenant's own rows
    defaults: list[Row] = field(default_factory=list)  # domain `*` rows (the modules' roles)
    users: dict[int, list[int]] = field(default_factory=dict)  # tenant -> its user ids
    truth: dict[tuple[int, int], frozenset[Pair]] = field(default_factory=dict)  # (user, tenant)
    pairs: list[Pair] = field(default_factory=list)  # every resource:action that exists

    def load(self, tenant_id: int) -> list[Row]:
        """What `load_rows(tenant_id)` would return: the tenant's rows plus the default ones."""
        return self.rows.get(tenant_id, []) + self.defaults

    @property
    def rule_count(self) -> tuple[int, int]:
        p = sum(1 for rows in self.rows.values() for r in rows if r[0] == "p")
        g = sum(1 for rows in self.rows.values() for r in rows if r[0] == "g")
        return p, g


def default_grants() -> dict[str, list[Pair]]:
    grants: dict[str, list[Pair]] = {}
    with SECURITY_CSV.open(newline="") as fp:
        for line in csv.DictReader(fp):
            grants.setdefault(line["role"].strip(), []).append(
                (line["resource"].strip(), line["action"].strip()))
    return grants


def build_dataset(tenants: int, seed: int) -> Dataset:
    rng = random.Random(seed)
    own_pairs: list[Pair] = [(r, a) for r in RESOURCES for a in ACTIONS]
    defaults = default_grants()
    ds = Dataset(tenants)
    ds.pairs = own_pairs + sorted({p for grants in defaults.values() for p in grants})
    default_roles = {role_subject(name): grants for name, grants in defaults.items()}
    ds.defaults = [("p", DEFAULT_DOMAIN, role, res, act)
                   for role, grants in default_roles.items() for res, act in grants]
    role_names = [role_subject(f"custom-{i}") for i in range(ROLES_PER_TENANT)]  # shared spelling
    default_names = sorted(default_roles)
    for tid in range(1, tenants + 1):
        dom = domain(tid)
        rows: list[Row] = []
        grants: dict[str, list[Pair]] = dict(default_roles)
        for role in role_names:
            chosen = rng.sample(own_pairs, rng.randint(8, 12))
            grants[role] = chosen
            rows.extend(("p", dom, role, res, act) for res, act in chosen)
        uids = [(tid - 1) * USERS_PER_TENANT + i + 1 for i in range(USERS_PER_TENANT)]
        for uid in uids:
            roles = rng.sample(role_names, rng.randint(1, 3))
            if rng.random() < 0.3:
                roles[0] = rng.choice(default_names)
            rows.extend(("g", dom, user_subject(uid), role, "") for role in roles)
            ds.truth[(uid, tid)] = frozenset(p for role in roles for p in grants[role])
        ds.rows[tid] = rows
        ds.users[tid] = uids
    return ds


def tenant_picker(ds: Dataset, rng: random.Random, zipf: float | None,
                  among: int | None = None) -> Callable[[], int]:
    """Uniform over tenants 1..among, or Zipf-skewed (rank k gets weight 1/k**s, ranks shuffled)."""
    ids = list(range(1, (among or ds.tenants) + 1))
    if zipf is None:
        return lambda: rng.choice(ids)
    rng.shuffle(ids)
    cum: list[float] = []
    total = 0.0
    for rank in range(1, len(ids) + 1):
        total += 1.0 / rank**zipf
        cum.append(total)

    def pick() -> int:
        return ids[min(len(ids) - 1, _bisect(cum, rng.random() * total))]

    return pick


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum)
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def make_checks(ds: Dataset, n: int, rng: random.Random, pick: Callable[[], int],
                foreign: float = 0.0) -> list[Check]:
    """Half ask for a grant the user holds, half for any pair; a `foreign` share asks for a user of
    another tenant (always denied; the API never gets there, as a token names one membership)."""
    checks: list[Check] = []
    for _ in range(n):
        tid = pick()
        if rng.random() < foreign and ds.tenants > 1:
            other = rng.randint(1, ds.tenants)
            uid = rng.choice(ds.users[other if other != tid else tid % ds.tenants + 1])
        else:
            uid = rng.choice(ds.users[tid])
        held = ds.truth.get((uid, tid), frozenset())
        res, act = rng.choice(sorted(held)) if held and rng.random() < 0.5 else rng.choice(ds.pairs)
        checks.append((uid, tid, res, act))
    return checks


def expected(ds: Dataset, check: Check) -> bool:
    uid, tid, res, act = check
    return (res, act) in ds.truth.get((uid, tid), frozenset())


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Result:
    name: str
    holds: str
    samples_ns: list[int]
    note: str = ""

    def pct(self, p: float) -> float:
        """Nearest-rank percentile, in microseconds."""
        ordered = sorted(self.samples_ns)
        k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[k] / 1_000

    @property
    def mean(self) -> float:
        return sum(self.samples_ns) / len(self.samples_ns) / 1_000


def fmt_us(us: float) -> str:
    if us >= 100_000:
        return f"{us / 1_000_000:,.2f} s"
    if us >= 1_000:
        return f"{us / 1_000:,.2f} ms"
    return f"{us:,.1f} us"


def table(results: Sequence[Result]) -> str:
    lines = ["| measurement | enforcer holds | checks | p50 | p99 | mean | note |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in results:
        lines.append(f"| {r.name} | {r.holds} | {len(r.samples_ns):,} | {fmt_us(r.pct(50))} | "
                     f"{fmt_us(r.pct(99))} | {fmt_us(r.mean)} | {r.note} |")
    return "\n".join(lines)


async def time_ours(ac: AccessControl, checks: Sequence[Check]) -> tuple[list[int], list[bool]]:
    samples: list[int] = []
    answers: list[bool] = []
    for uid, tid, res, act in checks:
        t0 = TIMER()
        ok = await ac.allowed(uid, tid, res, act)
        samples.append(TIMER() - t0)
        answers.append(ok)
    return samples, answers


def time_plain(enforcer: casbin.Enforcer, checks: Sequence[Check]) -> tuple[list[int], list[bool]]:
    samples: list[int] = []
    answers: list[bool] = []
    for uid, tid, res, act in checks:
        t0 = TIMER()
        ok = enforcer.enforce(user_subject(uid), domain(tid), res, act)
        samples.append(TIMER() - t0)
        answers.append(bool(ok))
    return samples, answers


def settle() -> None:
    """Collect, then freeze what exists, so the benchmark's own data set adds no GC pauses."""
    gc.collect()
    gc.freeze()


class MemoryAdapter(Adapter):
    """Loads rules by appending them, as casbin's file adapter does (no per-rule duplicate scan)."""

    def __init__(self, p: list[list[str]], g: list[list[str]]):
        self.p, self.g = p, g

    def load_policy(self, model: Any) -> None:
        model.model["p"]["p"].policy.extend(self.p)
        model.model["g"]["g"].policy.extend(self.g)


def plain_enforcer(ds: Dataset, upto: int) -> tuple[casbin.Enforcer, int, int, float]:
    """One plain Enforcer with every rule of tenants 1..upto; default rules expanded per tenant,
    exactly as `build_enforcer` places them."""
    t0 = time.perf_counter()
    p: list[list[str]] = []
    g: list[list[str]] = []
    for tid in range(1, upto + 1):
        dom = domain(tid)
        for ptype, _, v0, v1, v2 in ds.load(tid):
            if ptype == "p":
                p.append([v0, dom, v1, v2])
            else:
                g.append([v0, v1, dom])
    model = Model()
    model.load_model_from_text(MODEL_TEXT)  # core's own model, as `new_model()` builds it
    enforcer = casbin.Enforcer(model, MemoryAdapter(p, g))
    return enforcer, len(p), len(g), time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Plan:
    tenants: int
    warm_checks: int
    mixed_warmup: int
    mixed_checks: int
    cache_tenants: int
    baseline: list[tuple[int, int]]  # (tenants in the plain enforcer, checks timed)
    large_tenants: list[int]  # user counts of the single-tenant cold test


def plan_for(args: argparse.Namespace) -> Plan:
    if args.quick:
        tenants = args.tenants or 500
        return Plan(tenants, 50_000, 2_000, 5_000, max(1, tenants * 2 // 5),
                    [(min(50, tenants), 100), (tenants, 20)], [100, 500])
    tenants = args.tenants or 5_000
    baseline = [(s, n) for s, n in ((50, 300), (500, 100)) if s < tenants]
    if args.full_baseline_checks > 0:
        baseline.append((tenants, args.full_baseline_checks))
    return Plan(tenants, 200_000, 8_000, 12_000, min(2_000, tenants), baseline, [100, 500, 2_000])


def check_all(ds: Dataset, checks: Sequence[Check], answers: Sequence[bool], what: str) -> None:
    wrong = [c for c, a in zip(checks, answers, strict=True) if a != expected(ds, c)]
    assert not wrong, f"{what}: {len(wrong)} answers differ from the data set, e.g. {wrong[:3]}"


async def measure_ours(ds: Dataset, plan: Plan, rng: random.Random,
                       loader: Loader) -> tuple[list[Result], AccessControl]:
    results: list[Result] = []
    everything = f"{ds.tenants:,} tenants (cache)"

    # Cold: the first check in each tenant, then each other user's first check there.
    ac = AccessControl(max_tenants=ds.tenants, ttl=1e9, loader=loader)
    order = list(range(1, ds.tenants + 1))
    rng.shuffle(order)
    samples_t: list[int] = []
    samples_u: list[int] = []
    for tid in order:
        first, *rest = ds.users[tid]
        checks = [(uid, tid, *rng.choice(ds.pairs)) for uid in (first, *rest)]
        s, answers = await time_ours(ac, checks)
        check_all(ds, checks, answers, "ours, cold")
        samples_t.append(s[0])
        samples_u += s[1:]
    assert ac.loads == ds.tenants, (ac.loads, ds.tenants)
    results.append(Result("ours, cold tenant (first check in a tenant)", "1 tenant, built on demand",
                          samples_t, "rows from memory: no DB time"))
    results.append(Result("ours, cold user (tenant cached)", everything, samples_u))

    # Warm: every tenant and member cached.
    checks = make_checks(ds, plan.warm_checks, rng, tenant_picker(ds, rng, None))
    samples, answers = await time_ours(ac, checks)
    check_all(ds, checks, answers, "ours, warm")
    allowed = sum(answers)
    results.append(Result("ours, warm", everything, samples,
                          f"{allowed / len(answers):.0%} allowed; {ac.loads - ds.tenants} reloads"))

    # Mixed: a bounded cache under traffic over all tenants.
    for label, zipf in (("uniform", None), ("Zipf s=1.1", 1.1)):
        mixed = AccessControl(max_tenants=plan.cache_tenants, loader=loader)
        pick = tenant_picker(ds, rng, zipf)
        await time_ours(mixed, make_checks(ds, plan.mixed_warmup, rng, pick))
        before = mixed.loads
        checks = make_checks(ds, plan.mixed_checks, rng, pick)
        samples, answers = await time_ours(mixed, checks)
        check_all(ds, checks, answers, f"ours, mixed {label}")
        misses = mixed.loads - before
        results.append(Result(
            f"ours, mixed {label} over {ds.tenants:,} tenants",
            f"LRU of {plan.cache_tenants:,} tenants", samples,
            f"hit rate {1 - misses / len(checks):.1%} ({misses:,} tenant loads)"))
        del mixed
    return results, ac


async def measure_large_tenants(plan: Plan, seed: int) -> list[Result]:
    """One tenant with many users: the cold check builds casbin's role manager for the domain."""
    results: list[Result] = []
    rng = random.Random(seed)
    own_pairs: list[Pair] = [(r, a) for r in RESOURCES for a in ACTIONS]
    for n_users in plan.large_tenants:
        roles = [role_subject(f"custom-{i}") for i in range(ROLES_PER_TENANT)]
        rows: list[Row] = [("p", "1", role, res, act) for role in roles
                           for res, act in rng.sample(own_pairs, 10)]
        for uid in range(1, n_users + 1):
            rows += [("g", "1", user_subject(uid), role, "") for role in rng.sample(roles, rng.randint(1, 3))]

        async def loader(tenant_id: int, rows: list[Row] = rows) -> list[Row]:
            return rows

        ac = AccessControl(loader=loader)
        cold: list[int] = []
        second: list[int] = []
        for _ in range(3):
            ac.invalidate(1)
            s, _ = await time_ours(ac, [(1, 1, *own_pairs[0])])
            cold += s
            s, _ = await time_ours(ac, [(2, 1, *own_pairs[0])])
            second += s
        results.append(Result(f"ours, cold tenant with {n_users:,} users", "1 tenant", cold,
                              f"{len(rows):,} rules; 3 runs"))
        results.append(Result(f"ours, cold user in that tenant ({n_users:,} users)", "1 tenant", second,
                              "3 runs"))
    return results


async def run(args: argparse.Namespace) -> int:
    plan = plan_for(args)
    rng = random.Random(args.seed)
    print(f"# authz benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"python {platform.python_version()}, pycasbin {version('pycasbin')}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}, mode {'quick' if args.quick else 'full'}")
    t0 = time.perf_counter()
    ds = build_dataset(plan.tenants, args.seed)
    p_rules, g_rules = ds.rule_count
    print(f"data set: {ds.tenants:,} tenants x {ROLES_PER_TENANT} roles x {USERS_PER_TENANT} users: "
          f"{p_rules:,} p-rules and {g_rules:,} g-rules of the tenants, plus {len(ds.defaults)} default "
          f"p-rules in domain '*' ({time.perf_counter() - t0:.1f} s to build)")
    settle()

    async def loader(tenant_id: int) -> list[Row]:
        return ds.load(tenant_id)

    results, ac = await measure_ours(ds, plan, rng, loader)
    print(f"ours measured ({time.perf_counter() - t0:.0f} s so far)", flush=True)

    # Baseline: plain Enforcer at growing scales; ours (warm, same cache) on the same checks.
    comparisons: list[tuple[int, Result, Result]] = []
    agreed = 0
    for upto, n_checks in plan.baseline:
        enforcer, n_p, n_g, load_s = plain_enforcer(ds, upto)
        settle()
        checks = make_checks(ds, n_checks, rng, tenant_picker(ds, rng, None, among=upto), foreign=0.05)
        # One untimed check first: casbin builds each domain's role manager lazily.
        enforcer.enforce(user_subject(checks[0][0]), domain(checks[0][1]), checks[0][2], checks[0][3])
        base_samples, base_answers = time_plain(enforcer, checks)
        await time_ours(ac, checks)  # untimed: caches the non-members' (empty) sets too
        ours_samples, ours_answers = await time_ours(ac, checks)
        mismatch = [c for c, b, o in zip(checks, base_answers, ours_answers, strict=True) if b != o]
        assert not mismatch, f"plain Enforcer and AccessControl disagree on {mismatch[:5]}"
        check_all(ds, checks, base_answers, f"plain Enforcer at {upto} tenants")
        agreed += len(checks)
        holds = f"{upto:,} tenants: {n_p:,} p + {n_g:,} g rules"
        base = Result(f"plain Enforcer, {upto:,} tenants", holds, base_samples,
                      f"loaded in {load_s:.1f} s; {sum(base_answers) / len(checks):.0%} allowed")
        ours = Result(f"ours, warm, same {len(checks)} checks", f"{ds.tenants:,} tenants (cache)",
                      ours_samples)
        results += [base, ours]
        comparisons.append((upto, base, ours))
        print(f"baseline at {upto:,} tenants measured ({time.perf_counter() - t0:.0f} s so far)", flush=True)
        del enforcer
        gc.unfreeze()
        settle()

    results += await measure_large_tenants(plan, args.seed)

    print()
    print(table(results))
    print()
    warm = next(r for r in results if r.name == "ours, warm")
    cold = next(r for r in results if r.name.startswith("ours, cold tenant ("))
    print("Ratios: the plain Enforcer's p50 (p99) divided by ours'.")
    print()
    print("| plain Enforcer at | vs ours on the same checks | vs ours warm (all checks) "
          "| vs ours cold tenant |")
    print("|---|---:|---:|---:|")
    for upto, base, ours in comparisons:
        cells = [f"{base.pct(50) / o.pct(50):,.0f}x ({base.pct(99) / o.pct(99):,.0f}x)"
                 for o in (ours, warm, cold)]
        print(f"| {upto:,} tenants | {' | '.join(cells)} |")
    if plan.tenants not in [u for u, _ in plan.baseline]:
        print(f"| {plan.tenants:,} tenants | not timed (--full-baseline-checks 0) | | |")
    print()
    print(f"goal p99 < 1 ms (warm): {'met' if warm.pct(99) < 1_000 else 'NOT met'} "
          f"(p99 {fmt_us(warm.pct(99))})")
    for r in results:
        if r.name.startswith("ours, cold tenant (") or r.name.startswith("ours, mixed"):
            print(f"  {r.name}: p99 {fmt_us(r.pct(99))} ({'under' if r.pct(99) < 1_000 else 'over'} 1 ms)")
    print(f"correctness: {agreed} checks answered alike by the plain Enforcer and AccessControl; "
          f"every AccessControl answer matched the data set")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="500 tenants, fewer checks (~1 minute)")
    parser.add_argument("--tenants", type=int, default=0, help="number of tenants (default 5,000)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--full-baseline-checks", type=int, default=8,
                        help="checks timed on the plain Enforcer holding all tenants (each takes "
                             "seconds at 5,000 tenants); 0 skips that scale")
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
