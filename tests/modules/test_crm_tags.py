"""Tag names are unique in a tenant whatever their case, and a name given anywhere (createTag, the
importer's tags column, segment rules) matches the tenant's tag whatever its case."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from modules.crm.models import Tag
from tests.conftest import BACKEND, Api, TenantFixture
from tests.scratch import ScratchDatabase, reported_steps, scratch_database

ROOT = Path(__file__).resolve().parents[2]
STEPS = ROOT / "tests" / "fixtures" / "tag_migration_steps.py"
CREATE_TAG = "mutation($n: String!) { createTag(input: {name: $n}) { tag { id name } errors { code field message } } }"


async def test_create_tag_refuses_a_name_that_differs_only_in_case(api: Api, tenant: TenantFixture,
                                                                   other_tenant: TenantFixture) -> None:
    first = await api.data(CREATE_TAG, {"n": "VIP"}, token=tenant.token)
    assert first["createTag"]["errors"] == []
    for name in ("vip", " Vip ", "VIP"):
        again = await api.data(CREATE_TAG, {"n": name}, token=tenant.token)
        assert again["createTag"]["tag"] is None
        assert again["createTag"]["errors"] == [{"code": "TAG_NAME_TAKEN", "field": ["name"],
                                                 "message": "A tag named VIP already exists."}]
    # Casefolded, not only lower-cased: ß is ss.
    assert (await api.data(CREATE_TAG, {"n": "Straße"}, token=tenant.token))["createTag"]["errors"] == []
    assert (await api.data(CREATE_TAG, {"n": "STRASSE"}, token=tenant.token))["createTag"]["errors"][0]["code"] \
        == "TAG_NAME_TAKEN"
    # Another tenant has its own names.
    assert (await api.data(CREATE_TAG, {"n": "vip"}, token=other_tenant.token))["createTag"]["errors"] == []
    assert await Tag.filter(tenant_id=tenant.id).count() == 2


async def test_the_database_refuses_a_case_duplicate_too(tenant: TenantFixture) -> None:
    """The unique index on (tenant_id, lower(name)) of migration 0006 backs the service's check."""
    from tortoise.exceptions import IntegrityError

    await Tag.create(tenant_id=tenant.id, name="Newsletter")
    with pytest.raises(IntegrityError):
        await Tag.create(tenant_id=tenant.id, name="newsletter")


async def test_a_segment_rule_names_a_tag_whatever_its_case(api: Api, tenant: TenantFixture) -> None:
    tag = (await api.data(CREATE_TAG, {"n": "VIP"}, token=tenant.token))["createTag"]["tag"]
    customer = await api.data('mutation { createCustomer(input: {firstName: "Kim"}) { customer { id } } }',
                              token=tenant.token)
    await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed } }",
                   {"i": {"tagIds": [tag["id"]], "customerIds": [customer["createCustomer"]["customer"]["id"]]}},
                   token=tenant.token)
    saved = await api.data('mutation { createSegment(input: {name: "vips", rule: {field: "tag", op: "has", '
                           'value: "vip"}}) { segment { rule count } errors { code field } } }', token=tenant.token)
    assert saved["createSegment"]["errors"] == []
    assert saved["createSegment"]["segment"] == {"rule": {"field": "tag", "op": "has", "value": "VIP"}, "count": 1}


class Db(ScratchDatabase):
    async def steps(self, *steps: str) -> dict[str, Any]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SELLERCARE_", "TEST_")) and k not in {"DATABASE_URL", "REDIS_URL"}}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(STEPS), self.url, str(self.work), *steps, cwd=self.work,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
        assert proc.returncode == 0, f"{steps} failed:\n{out.decode()}\n{err.decode()[-6000:]}"
        return reported_steps(out.decode())


@pytest.fixture(params=[BACKEND])
async def scratch(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Db]:
    async with scratch_database(request.param, tmp_path, "tags") as db:
        yield Db(db.backend, db.url, db.work)


async def test_the_migration_renames_case_duplicates_and_keeps_their_links(scratch: Db) -> None:
    facts = (await scratch.steps("install-0005"))["install-0005"]
    ids: dict[str, int] = facts["tags"]
    assert (await scratch.steps("upgrade"))["upgrade"]["upgraded"] == ["crm"]
    names = {int(i): n for i, n in await scratch.rows("SELECT id, name FROM crm_tag")}
    long = "Abcdefghij" * 5
    assert names == {
        ids["one:VIP"]: "VIP", ids["one:Other"]: "Other", ids["two:vip"]: "vip", ids[f"one:{long}"]: long,
        ids["one:vip"]: f"vip #{ids['one:vip']}", ids["one:Vip"]: f"Vip #{ids['one:Vip']}",
        ids[f"one:{long.lower()}"]: f"{long.lower()[:28]} #{ids[f'one:{long.lower()}']}",
    }
    assert all(len(n) <= 50 for n in names.values())
    links = await scratch.rows("SELECT tag_id FROM crm_customer_tag")
    assert [int(r[0]) for r in links] == [ids["one:vip"]]
    with pytest.raises(Exception, match="(?i)unique"):
        await scratch.execute("INSERT INTO crm_tag (tenant_id, name, colour) VALUES (?, ?, ?)",
                              facts["tenants"][0], "other", "#64748b")
