"""Bulk import through GraphQL: a real multipart upload (GraphQL multipart request spec), imported by the
`crm.import_file` job, importJob(id) with progress and counts, and a signed link to the error report."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import openpyxl

from core.graphql.node import to_global_id
from core.models import AuditEntry, Job
from modules.crm.graphql.types import OrderType, SalesChannelType
from modules.crm.models import Customer, CustomerIdentity, Order, OrderLine, Product, SalesChannel
from tests.conftest import Api, TenantFixture, job_record

IMPORT = """mutation($i: ImportFileInput!) { %s(input: $i) {
  job { id status kind fileName dryRun } errors { code field } } }"""
JOB = """query($id: ID!) { importJob(id: $id) { id status totalRows processedRows progressPercent goodRows badRows
  counts { created updated unchanged skipped failed } errors { code field message } errorReportUrl finishedAt } }"""
HEADER = "external_id,email,first_name,country,tier\n"
ROWS = ("K1,kim@example.kr,Kim,KR,gold\n"
        "K2,lee@example.kr,Lee,KR,\n"
        "K3,not-an-email,Park,KR,platinum\n"
        "K4,choi@example.kr,Choi,KR,vip\n")


async def upload(api: Api, token: str, mutation: str, name: str, content: bytes, **variables: Any
                 ) -> httpx.Response:
    operations = {"query": IMPORT % mutation, "variables": {"i": {"file": None, **variables}}}
    return await api.client.post(
        "/graphql", headers={"Authorization": f"Bearer {token}"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": (name, content, "text/csv")})


async def start(api: Api, token: str, mutation: str, name: str, content: bytes, **variables: Any) -> dict[str, Any]:
    response = await upload(api, token, mutation, name, content, **variables)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"][mutation])


async def finished(api: Api, rt: Any, token: str, job_id: str) -> dict[str, Any]:
    if not rt.settings.embedded:
        from workers.embedded import build_worker

        await build_worker(rt, handle_signals=False, burst=True).main()  # no in-process worker on PostgreSQL
    for _ in range(150):
        job = (await api.data(JOB, {"id": job_id}, token=token))["importJob"]
        if job["status"] in ("DONE", "FAILED"):
            return dict(job)
        await asyncio.sleep(0.1)
    raise AssertionError(f"import {job_id} did not finish: {job}")


async def test_an_uploaded_file_is_imported_by_a_job_with_progress_and_an_error_report(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    channel = await SalesChannel.create(tenant_id=tenant.id, platform="shopify", name="Shopify KR")
    channel_id = to_global_id(SalesChannelType, channel.id)
    dry = await start(api, tenant.token, "importCustomers", "customers.csv", (HEADER + ROWS).encode(),
                      channelId=channel_id, dryRun=True)
    assert dry["errors"] == [] and dry["job"]["status"] == "QUEUED" and dry["job"]["dryRun"] is True
    done = await finished(api, rt, tenant.token, dry["job"]["id"])
    assert done["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 1}
    assert await Customer.filter(tenant_id=tenant.id).count() == 0

    started = await start(api, tenant.token, "importCustomers", "customers.csv", (HEADER + ROWS).encode(),
                          channelId=channel_id, onConflict="UPDATE")
    assert started["job"]["kind"] == "customers" and started["job"]["fileName"] == "customers.csv"
    job = await finished(api, rt, tenant.token, started["job"]["id"])
    assert (job["status"], job["processedRows"], job["progressPercent"], job["goodRows"], job["badRows"]) == \
        ("DONE", 4, 100, 3, 1)
    assert job["totalRows"] == 4 and job["errors"] == [] and job["finishedAt"]
    assert await CustomerIdentity.filter(tenant_id=tenant.id, channel_id=channel.id).count() == 3
    # The error report: the bad row as it was, and why; the signed link needs no token.
    response = await api.client.get(job["errorReportUrl"])
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0] == ["row", "external_id", "email", "first_name", "country", "tier", "reason"]
    assert table[1][:6] == [4, "K3", "not-an-email", "Park", "KR", "platinum"] and "INVALID_EMAIL" in table[1][6]
    entry = await AuditEntry.filter(tenant_id=tenant.id, action="crm.import").order_by("-id").first()
    assert entry is not None and entry.actor_id == tenant.admin_id and entry.via == "api"
    assert entry.after["file"] == "customers.csv" and entry.after["created"] == 3
    # The same file again: nothing new.
    again = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importCustomers", "again.csv", (HEADER + ROWS).encode(), channelId=channel_id))["job"]["id"])
    assert again["counts"]["unchanged"] == 3 and again["counts"]["created"] == 0
    # Another tenant sees neither the job nor may it use the channel.
    assert (await api.data(JOB, {"id": job["id"]}, token=other_tenant.token))["importJob"] is None
    theirs = await start(api, other_tenant.token, "importCustomers", "c.csv", (HEADER + ROWS).encode(),
                         channelId=channel_id)
    assert theirs == {"job": None, "errors": [{"code": "NOT_FOUND", "field": ["channelId"]}]}
    assert await Customer.filter(tenant_id=other_tenant.id).count() == 0


async def test_bad_uploads_are_refused_and_write_nothing(api: Api, rt: Any, tenant: TenantFixture) -> None:
    wrong_type = await start(api, tenant.token, "importCustomers", "customers.txt", b"email\na@example.com\n")
    assert wrong_type == {"job": None, "errors": [{"code": "UNSUPPORTED_FILE", "field": ["file"]}]}
    unknown = await start(api, tenant.token, "importOrders", "orders.csv", b"external_id,shoe_size\nO1,42\n")
    job = await finished(api, rt, tenant.token, unknown["job"]["id"])
    assert job["status"] == "FAILED" and job["errorReportUrl"] is None
    assert {e["code"] for e in job["errors"]} == {"UNKNOWN_COLUMNS", "MISSING_COLUMNS"}
    assert "shoe_size" in job["errors"][0]["message"]
    assert await Customer.filter(tenant_id=tenant.id).count() == 0
    # The body guard: too large, or a multipart body that is not a GraphQL upload request.
    too_large = await upload(api, tenant.token, "importCustomers", "big.csv",
                             b"email\n" + b"x" * rt.settings.max_upload_bytes)
    assert too_large.status_code == 413 and too_large.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    for operations, mapping in (("[1, 2]", "{}"), ("not json", "{}"), (json.dumps({"query": "{ tags { nodes { id } } }"}), "[]")):
        response = await api.client.post("/graphql", headers={"Authorization": f"Bearer {tenant.token}"},
                                          data={"operations": operations, "map": mapping},
                                          files={"0": ("a.csv", b"email\n", "text/csv")})
        assert response.status_code == 400, (operations, response.text)
    missing_file = await api.client.post(
        "/graphql", headers={"Authorization": f"Bearer {tenant.token}"},
        data={"operations": json.dumps({"query": IMPORT % "importCustomers", "variables": {"i": {"file": None}}}),
              "map": json.dumps({"0": ["variables.i.file"]})}, files={"1": ("a.csv", b"email\n", "text/csv")})
    assert missing_file.status_code == 400
    # Multipart is for uploads only: any other operation, even with a file attached, is refused.
    for query in ("{ tags { nodes { name } } }",
                  'mutation { createTag(input: {name: "via-form"}) { errors { code } } }'):
        response = await api.client.post("/graphql", headers={"Authorization": f"Bearer {tenant.token}"},
                                          data={"operations": json.dumps({"query": query}),
                                                "map": json.dumps({"0": ["variables.file"]})},
                                          files={"0": ("a.csv", b"email\n", "text/csv")})
        assert response.status_code == 400, response.text
        assert "uploads a file" in response.json()["errors"][0]["message"]
    assert (await api.data("{ tags { nodes { name } } }", token=tenant.token))["tags"]["nodes"] == []


FIELD = """mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { errors { code } } }"""


async def _report(api: Api, job: dict[str, Any]) -> list[list[Any]]:
    response = await api.client.get(job["errorReportUrl"])
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


async def test_custom_field_columns_are_checked_against_the_tenants_definitions(
        api: Api, rt: Any, tenant: TenantFixture) -> None:
    for key, kind, extra in (("size", "NUMBER", {}), ("newsletter", "BOOLEAN", {}),
                             ("source", "CHOICE", {"choices": ["web", "shop"], "required": True})):
        data = await api.data(FIELD, {"i": {"key": key, "label": key.title(), "type": kind, **extra}},
                              token=tenant.token)
        assert data["createCustomField"]["errors"] == []
    header = "email,first_name,custom.size,custom.newsletter,custom.source\n"
    rows = "a@example.com,A,42,yes,web\nb@example.com,B,big,maybe,web\nc@example.com,C,38,,\n"
    job = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importCustomers", "c.csv", (header + rows).encode()))["job"]["id"])
    assert job["counts"]["created"] == 1 and job["counts"]["failed"] == 2
    a = await Customer.get(tenant_id=tenant.id, first_name="A")
    assert a.custom_fields == {"size": 42, "newsletter": True, "source": "web"}
    table = await _report(api, job)
    assert "custom.size: " in table[1][-1] and "custom.newsletter: " in table[1][-1] and "INVALID_TYPE" in table[1][-1]
    assert table[2][-1].startswith("custom.source: ") and "REQUIRED" in table[2][-1]
    # Update: only the given cells change; the stored values are merged.
    job = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importCustomers", "c.csv", (header + "a@example.com,A,43,,\n").encode(),
        onConflict="UPDATE"))["job"]["id"])
    assert job["counts"]["updated"] == 1
    await a.refresh_from_db()
    assert a.custom_fields == {"size": 43, "newsletter": True, "source": "web"}
    unknown = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importCustomers", "c.csv", b"email,custom.shoe\nd@example.com,42\n"))["job"]["id"])
    assert unknown["status"] == "FAILED" and [e["code"] for e in unknown["errors"]] == ["UNKNOWN_COLUMNS"]
    assert await Customer.filter(tenant_id=tenant.id).count() == 1


LINES_HEADER = "external_id,customer_email,currency,total,placed_at,status,sku,product_name,quantity,unit_price\n"
LINES = ("O1,a@example.com,EUR,25.00,2026-01-02,paid,TEE,T-shirt,2,10.00\n"
         "O1,,,,,,CAP,Cap,1,5.00\n"
         "O2,a@example.com,EUR,5,2026-01-03,,CAP,,1,5.00\n"
         "O3,a@example.com,EUR,9,2026-01-04,,X1,,0,9\n"
         "O3,,,,,,X2,,1,1\n"
         "O4,a@example.com,EUR,1,2026-01-05,,Y,,1,1\n"
         "O4,,USD,,,,Z,,1,1\n")


async def test_orders_with_one_row_per_line(api: Api, rt: Any, tenant: TenantFixture) -> None:
    await api.data('mutation { createCustomer(input: {firstName: "A", emails: ["a@example.com"]}) { errors { code } } }',
                   token=tenant.token)
    job = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importOrders", "o.csv", (LINES_HEADER + LINES).encode()))["job"]["id"])
    assert job["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 2}
    assert job["processedRows"] == 7
    o1 = await Order.get(tenant_id=tenant.id, external_id="O1")
    assert (o1.status, o1.subtotal, o1.total, o1.currency) == ("paid", 2500, 2500, "EUR")
    lines = await OrderLine.filter(order_id=o1.id).order_by("id").values_list("sku", "name", "quantity", "unit_price")
    assert lines == [("TEE", "T-shirt", 2, 1000), ("CAP", "Cap", 1, 500)]
    assert sorted(await Product.filter(tenant_id=tenant.id).values_list("sku", flat=True)) == ["CAP", "TEE"]
    assert not await Order.filter(tenant_id=tenant.id, external_id__in=["O3", "O4"]).exists()
    table = await _report(api, job)
    assert [(r[0], r[1]) for r in table[1:]] == [(5, "O3"), (6, "O3"), (7, "O4"), (8, "O4")]
    assert "INVALID_QUANTITY" in table[1][-1] and "ORDER_REFUSED" in table[2][-1]
    assert "ORDER_REFUSED" in table[3][-1] and "currency: " in table[4][-1] and "ORDER_MISMATCH" in table[4][-1]
    again = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importOrders", "o.csv", (LINES_HEADER + LINES).encode()))["job"]["id"])
    assert (again["counts"]["unchanged"], again["counts"]["created"]) == (2, 0)
    changed = LINES.replace("O1,,,,,,CAP,Cap,1,5.00", "O1,,,,,,CAP,Cap,3,5.00")
    updated = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importOrders", "o.csv", (LINES_HEADER + changed).encode(), onConflict="UPDATE"))["job"]["id"])
    assert (updated["counts"]["updated"], updated["counts"]["unchanged"]) == (1, 1)
    lines = await OrderLine.filter(order_id=o1.id).order_by("id").values_list("sku", "quantity")
    assert lines == [("TEE", 2), ("CAP", 3)]
    assert await OrderLine.filter(tenant_id=tenant.id).count() == 3  # O1's two lines replaced, O2's one
    view = await api.data("query($id: ID!) { node(id: $id) { ... on Order { lines { sku quantity unitPrice { amount } } } } }",
                          {"id": to_global_id(OrderType, o1.id)}, token=tenant.token)
    assert view["node"]["lines"][1] == {"sku": "CAP", "quantity": 3, "unitPrice": {"amount": "5.00"}}


async def test_a_channel_column_names_each_rows_channel_in_the_callers_tenant(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    amazon = await SalesChannel.create(tenant_id=tenant.id, platform="amazon", name="Amazon DE")
    ebay = await SalesChannel.create(tenant_id=tenant.id, platform="ebay", name="eBay DE")
    await SalesChannel.create(tenant_id=other_tenant.id, platform="ebay", name="eBay UK")
    content = (b"external_id,email,channel\n"
               b"M1,m1@example.com,Amazon DE\n"
               b"M1,m2@example.com,EBAY DE\n"
               b"M3,m3@example.com,eBay UK\n"
               b"M4,m4@example.com,\n"
               b"M5,m5@example.com,Otto\n")
    job = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importCustomers", "multichannel.csv", content))["job"]["id"])
    assert job["status"] == "DONE" and job["counts"]["created"] == 2 and job["counts"]["failed"] == 3, job
    assert sorted(await CustomerIdentity.filter(tenant_id=tenant.id).values_list("channel_id", "external_id")) == \
        sorted([(amazon.id, "M1"), (ebay.id, "M1")])
    table = await _report(api, job)
    assert [(r[1], r[-1].split(" [")[-1]) for r in table[1:]] == [
        ("M3", "CHANNEL_NOT_FOUND]"), ("M4", "CHANNEL_REQUIRED]"), ("M5", "CHANNEL_NOT_FOUND]")]
    assert await SalesChannel.filter(tenant_id=tenant.id).count() == 2  # unknown names are refused, not created
    # With channelId, an empty cell is that channel's.
    job = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importCustomers", "multichannel.csv", content,
        channelId=to_global_id(SalesChannelType, amazon.id)))["job"]["id"])
    assert job["counts"] == {"created": 1, "updated": 0, "unchanged": 2, "skipped": 0, "failed": 2}
    assert await CustomerIdentity.filter(tenant_id=tenant.id, channel_id=amazon.id, external_id="M4").exists()


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_spreadsheet_date_cells_are_dates(api: Api, rt: Any, tenant: TenantFixture) -> None:
    data = await api.data(FIELD, {"i": {"key": "since", "label": "Since", "type": "DATE"}}, token=tenant.token)
    assert data["createCustomField"]["errors"] == []
    # openpyxl reads a date cell as a datetime at midnight; CSV files exported from it say 2020-01-01T00:00:00.
    content = _xlsx([["email", "custom.since"], ["a@example.com", datetime(2020, 1, 1)],
                     ["b@example.com", "2021-02-03T00:00:00"], ["c@example.com", datetime(2021, 2, 3, 10, 30)],
                     ["d@example.com", "2021-02-30"]])
    job = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importCustomers", "c.xlsx", content))["job"]["id"])
    assert job["counts"]["created"] == 2 and job["counts"]["failed"] == 2, job
    by_name = {c.custom_fields.get("since") for c in await Customer.filter(tenant_id=tenant.id)}
    assert by_name == {"2020-01-01", "2021-02-03"}
    table = await _report(api, job)
    assert [r[-1].split(" [")[-1] for r in table[1:]] == ["INVALID_TYPE]", "INVALID_TYPE]"]
    # Datetime columns take them as they are (without an offset: UTC).
    orders = _xlsx([["external_id", "customer_email", "currency", "total", "placed_at", "paid_at"],
                    ["X1", "a@example.com", "EUR", 10, datetime(2026, 1, 2), datetime(2026, 1, 2, 9, 15)]])
    job = await finished(api, rt, tenant.token, (await start(
        api, tenant.token, "importOrders", "o.xlsx", orders))["job"]["id"])
    assert job["counts"]["created"] == 1, job
    order = await Order.get(tenant_id=tenant.id, external_id="X1")
    assert (order.placed_at, order.paid_at) == (datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 2, 9, 15, tzinfo=UTC))


async def test_a_job_whose_worker_died_ends_failed_with_a_reason(api: Api, rt: Any, tenant: TenantFixture) -> None:
    """A worker killed mid-import (or mid-export) leaves its record "running": once its heartbeat
    is older than STALLED_AFTER the job reads as FAILED with WORKER_LOST, and if arq runs it again
    its next save shows it running again."""
    from dataclasses import asdict
    from datetime import timedelta

    from core.heartbeat import STALLED_AFTER
    from modules.crm.services import exports, imports

    old = datetime.now(UTC) - STALLED_AFTER - timedelta(seconds=5)
    records = {}
    for name, beat in (("dead", old), ("slow", datetime.now(UTC))):
        status = imports.ImportStatus(id=uuid.uuid4().hex, tenant_id=tenant.id, user_id=tenant.admin_id,
                                      kind="customers", status="running", dry_run=False, file_name="c.csv",
                                      created_at=old.isoformat(), total=1000, done=300)
        records[name] = await job_record(asdict(status), imports.JOB_NAME, heartbeat_at=beat)
    export = exports.ExportStatus(id=uuid.uuid4().hex, tenant_id=tenant.id, user_id=tenant.admin_id,
                                  status="RUNNING", pii=False, created_at=old.isoformat())
    records["export"] = await job_record(asdict(export), exports.JOB_NAME, heartbeat_at=old)
    try:
        dead = (await api.data(JOB, {"id": records["dead"].id}, token=tenant.token))["importJob"]
        assert dead["status"] == "FAILED" and [e["code"] for e in dead["errors"]] == ["WORKER_LOST"]
        slow = (await api.data(JOB, {"id": records["slow"].id}, token=tenant.token))["importJob"]
        assert slow["status"] == "RUNNING" and slow["errors"] == []
        shown = (await api.data('query($id: ID!) { export(id: $id) { status errorCode } }', {"id": export.id},
                                token=tenant.token))["export"]
        assert shown == {"status": "FAILED", "errorCode": "WORKER_LOST"}
        # An import id is not an export's, nor the other way round.
        assert (await api.data(JOB, {"id": export.id}, token=tenant.token))["importJob"] is None
    finally:  # queued nowhere: the requeue cron of another test must not find them
        await Job.filter(id__in=[r.id for r in records.values()]).delete()


def test_a_later_line_is_validated_as_a_line_with_its_orders_values() -> None:
    """A later row of a valid order: only its line columns are checked (the order's were, on its
    first row), and it carries the order's values; a bad line or a bad cell still fails it."""
    from core.errors import UserFacingErrors
    from modules.crm.services.importer.columns import validate_later_line

    order = {"external_id": "O1", "currency": "JPY", "total": 1590, "line": {"sku": "A"}}
    later = validate_later_line(order, {"external_id": "O1", "sku": "B", "quantity": "2", "unit_price": "700"})
    assert later["line"] == {"sku": "B", "name": "", "quantity": 2, "unit_price": 700}
    assert later["total"] == 1590 and order["line"] == {"sku": "A"}  # the first row's values are not changed
    for bad, code in (({"sku": "B", "quantity": "0", "unit_price": "1"}, "INVALID_QUANTITY"),
                      ({"sku": "B", "unit_price": ""}, "REQUIRED"),
                      ({"sku": "B", "product_name": "a\x00b", "unit_price": "1"}, "INVALID_TEXT")):
        try:
            validate_later_line(order, bad)
        except UserFacingErrors as exc:
            assert [e.code for e in exc.errors] == [code], exc.errors
        else:
            raise AssertionError(f"{bad} was accepted")
