"""The GraphQL examples of docs/ run as written, on the demo data (each module's demo loader)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conftest import Api, TenantFixture

DOCS = Path(__file__).resolve().parents[1] / "docs"


def graphql_blocks(name: str) -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), flags=re.S)


async def test_the_segments_example_works_on_the_demo_data(api: Api, rt: Any, tenant: TenantFixture) -> None:
    for module in rt.modules:
        await module.load_demo(tenant.id)
    blocks = graphql_blocks("segments.md")
    assert blocks
    for block in blocks:
        body = await api.post(block, token=tenant.token)
        assert not body.get("errors"), body
        for payload in body["data"].values():
            assert payload.get("errors", []) == [], (block, payload)
    created = body["data"]["createSegment"]["segment"]
    assert created["name"] == "EU VIPs at risk" and created["count"] == 0


async def test_the_automation_examples_work_on_the_demo_data(api: Api, rt: Any, tenant: TenantFixture) -> None:
    for module in rt.modules:
        await module.load_demo(tenant.id)
    blocks = graphql_blocks("automation.md")
    assert len(blocks) == 3
    for block in blocks:
        body = await api.post(block, token=tenant.token)
        assert not body.get("errors"), body
        for payload in body["data"].values():
            assert payload.get("errors", []) == [], (block, payload)
    rules = body["data"]["rules"]["edges"]
    assert [r["node"]["trigger"] for r in rules] == ["crm.order.status_changed"] * 2  # the demo's and the example's
