"""crm exports and data-subject requests over HTTP: exportCustomers builds an XLSX in the worker
(masked without crm.customer.pii:read, formulas impossible), export(id) hands out a signed,
expiring URL; exportCustomerData returns everything held; eraseCustomer erases, keeping orders."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
import zipfile
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
from strawberry import relay
from tortoise import connections

from core import exports as core_exports
from core.access.admin import assign_role_by_name
from core.identity import add_user
from core.models import AuditEntry
from modules.crm.models import Address, Customer, CustomerIdentity, CustomField, Order, OrderLine, SalesChannel
from tests.conftest import PASSWORD, Api, TenantFixture, job_record

CREATE = """mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } errors { code field } } }"""
EXPORT = """mutation($i: ExportCustomersInput!) { exportCustomers(input: $i) {
  export { id status masked } errors { code field } } }"""
STATUS = """query($id: ID!) { export(id: $id) { id status rowCount masked finishedAt downloadUrl downloadExpiresAt } }"""
DSAR = """mutation($i: CustomerDataInput!) { exportCustomerData(input: $i) { data errors { code field } } }"""
ERASE = """mutation($i: EraseCustomerInput!) { eraseCustomer(input: $i) {
  customer { id displayName stage emails } errors { code field message } } }"""
INJECTION = '=HYPERLINK("http://x","y")'


def _pk(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def _create(api: Api, t: TenantFixture, **fields: Any) -> str:
    data = await api.data(CREATE, {"i": fields}, token=t.token)
    assert data["createCustomer"]["errors"] == [], data
    return data["createCustomer"]["customer"]["id"]


async def _agent(api: Api, rt: Any, t: TenantFixture) -> str:
    """A user with crm.customer read/write but without crm.customer.pii:read or erase."""
    email = f"agent-{time.monotonic_ns()}@{t.slug}.test"
    user = await add_user(t.id, email, "Agent", PASSWORD)
    await assign_role_by_name(t.id, user.id, "agent")
    rt.access.invalidate(t.id)
    return await api.login(email, t.slug)


async def _finished(api: Api, rt: Any, token: str, export_id: str) -> dict[str, Any]:
    if not rt.settings.embedded:
        from workers.embedded import build_worker

        await build_worker(rt, handle_signals=False, burst=True).main()  # no in-process worker on PostgreSQL
    for _ in range(150):
        status = (await api.data(STATUS, {"id": export_id}, token=token))["export"]
        if status["status"] in ("DONE", "FAILED"):
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"export {export_id} did not finish: {status}")


async def _export(api: Api, rt: Any, token: str, f: dict[str, Any]) -> dict[str, Any]:
    data = await api.data(EXPORT, {"i": {"filter": f}}, token=token)
    assert data["exportCustomers"]["errors"] == [], data
    assert data["exportCustomers"]["export"]["status"] == "PENDING"
    return await _finished(api, rt, token, data["exportCustomers"]["export"]["id"])


async def _sheet(api: Api, url: str) -> tuple[list[list[Any]], bytes]:
    response = await api.client.get(url)  # no Authorization header: the signature is the credential
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == core_exports.XLSX_MIME
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)], response.content


async def _seed(api: Api, t: TenantFixture) -> dict[str, str]:
    ana = await _create(api, t, firstName="Ana", lastName="Souza", emails=["ana.souza@example.br"],
                        phones=["+55 11 91234-5678"], country="BR", language="pt-BR")
    evil = await _create(api, t, firstName=INJECTION, country="BR", emails=["=1+2@example.com"])
    bob = await _create(api, t, firstName="Bob", country="DE", emails=["bob@example.de"])
    now = datetime.now(UTC)
    for number, currency, total, status in (("A1", "BRL", 5000, "paid"), ("A2", "EUR", 1234, "delivered"),
                                            ("A3", "EUR", 99_999, "cancelled")):
        await Order.create(tenant_id=t.id, customer_id=_pk(ana), number=number, currency=currency, total=total,
                           status=status, placed_at=now)
    await Order.create(tenant_id=t.id, customer_id=_pk(bob), number="B1", currency="USD", total=700, placed_at=now)
    tag = (await api.data('mutation { createTag(input: {name: "vip-br"}) { tag { id } } }',
                          token=t.token))["createTag"]["tag"]["id"]
    await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed } }",
                   {"i": {"tagIds": [tag], "customerIds": [ana]}}, token=t.token)
    return {"ana": ana, "evil": evil, "bob": bob}


async def test_export_of_a_filtered_set_masks_contacts_without_pii_and_never_writes_formulas(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    ids = await _seed(api, tenant)
    await _create(api, other_tenant, firstName="Ana", country="BR", emails=["other@example.br"])
    done = await _export(api, rt, tenant.token, {"countries": ["BR"]})
    assert (done["status"], done["rowCount"], done["masked"]) == ("DONE", 2, False)
    assert done["downloadUrl"].startswith("/exports/") and done["finishedAt"] and done["downloadExpiresAt"]
    rows, content = await _sheet(api, done["downloadUrl"])
    assert rows[0] == ["Customer ID", "Name", "E-mails", "Phones", "Country", "Language", "Tier", "Stage", "Tags", "Orders",
                       "Spent (BRL)", "Spent (EUR)"]
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == {ids["ana"], ids["evil"]}  # Bob (DE) and the other tenant's Ana are not in it
    assert by_id[ids["ana"]] == [ids["ana"], "Ana Souza", "ana.souza@example.br", "+5511912345678", "BR", "pt-BR",
                                 "standard", "new", "vip-br", 2, 50, 12.34]  # the cancelled order is not counted
    # Formula injection: the names stay text; the workbook holds no formula at all.
    assert by_id[ids["evil"]][1] == INJECTION and by_id[ids["evil"]][2] == "=1+2@example.com"
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    evil_cell = openpyxl.load_workbook(io.BytesIO(content)).active.cell(
        row=1 + [r[0] for r in rows[1:]].index(ids["evil"]) + 1, column=2)
    assert evil_cell.data_type == "s"

    # The same export by an agent without crm.customer.pii:read: contact data masked.
    agent = await _agent(api, rt, tenant)
    masked = await _export(api, rt, agent, {"countries": ["BR"], "search": "souza"})
    assert (masked["status"], masked["rowCount"], masked["masked"]) == ("DONE", 1, True)
    rows, _ = await _sheet(api, masked["downloadUrl"])
    assert rows[1][:4] == [ids["ana"], "Ana Souza", "a***@example.br", "+55*********78"]
    assert "ana.souza@example.br" not in str(rows)
    # An export is its requester's: another user of the tenant, or another tenant, does not see it.
    assert (await api.data(STATUS, {"id": done["id"]}, token=agent))["export"] is None
    assert (await api.data(STATUS, {"id": done["id"]}, token=other_tenant.token))["export"] is None
    assert (await api.data(STATUS, {"id": "../../etc/passwd"}, token=tenant.token))["export"] is None


async def test_download_urls_are_signed_expire_and_never_reach_another_tenant(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    await _create(api, tenant, firstName="Solo", country="PT")
    done = await _export(api, rt, tenant.token, {"countries": ["PT"]})
    url = done["downloadUrl"]
    assert (await api.client.get(url)).status_code == 200
    token = url.removeprefix("/exports/")
    export_id, tenant_part, expires, signature = token.split(".")
    assert int(tenant_part) == tenant.id and 14 * 60 < int(expires) - time.time() <= 15 * 60
    tampered_sig = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged = [
        f"{export_id}.{tenant_part}.{expires}.{tampered_sig}",            # signature changed
        f"{export_id}.{tenant_part}.{int(expires) + 3600}.{signature}",   # expiry pushed back
        f"{export_id}.{other_tenant.id}.{expires}.{signature}",           # tenant swapped
        core_exports.sign_download(rt.settings, tenant.id, export_id, expires=int(time.time()) - 1)[0],  # expired
        "garbage", f"{export_id}.{tenant_part}.{expires}",
    ]
    for bad in forged:
        response = await api.client.get(f"/exports/{bad}")
        assert response.status_code == 403, bad
        assert b"PK" not in response.content[:2]
    # A genuine signature for the other tenant and this export id names a file that is not theirs: nothing.
    theirs = core_exports.sign_download(rt.settings, other_tenant.id, export_id)[0]
    assert (await api.client.get(f"/exports/{theirs}")).status_code == 404
    # Path tricks do not reach the route's file lookup.
    assert (await api.client.get("/exports/..%2F..%2Fsecret.key")).status_code in (403, 404)


async def test_export_needs_crm_read_and_a_valid_filter(api: Api, tenant: TenantFixture) -> None:
    anonymous = await api.post(EXPORT, {"i": {}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = await api.post(EXPORT, {"i": {"filter": {"spend": {"currency": "EUR", "min": "1.999"}}}}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "TOO_MANY_DECIMALS"


async def _full_customer(api: Api, t: TenantFixture) -> tuple[str, int]:
    await CustomField.get_or_create(tenant_id=t.id, key="size", defaults={"label": "Size", "type": "text"})
    gid = await _create(api, t, firstName="Lena", lastName="Vogel", emails=["lena.vogel@example.de"],
                        phones=["+49 151 23456789"], country="DE", birthday="1990-04-01",
                        customFields={"size": "M"}, marketingConsent=True, consentSource="checkout")
    pk = _pk(gid)
    await Address.create(tenant_id=t.id, customer_id=pk, line1="Hauptstr. 5", postal_code="10115", city="Berlin",
                         country="DE", name="Lena Vogel")
    channel = await SalesChannel.create(tenant_id=t.id, platform="amazon", name=f"Amazon DE {pk}")
    await CustomerIdentity.create(tenant_id=t.id, customer_id=pk, channel_id=channel.id, external_id="AMZ-LENA")
    order = await Order.create(tenant_id=t.id, customer_id=pk, channel_id=channel.id, number="DE-100", currency="EUR",
                               total=4990, placed_at=datetime.now(UTC), carrier="DHL", tracking_number="00340434")
    await OrderLine.create(tenant_id=t.id, order_id=order.id, sku="MUG", name="Mug", quantity=2, unit_price=2495,
                           currency="EUR")
    tag = (await api.data(f'mutation {{ createTag(input: {{name: "t{pk}"}}) {{ tag {{ id }} }} }}',
                          token=t.token))["createTag"]["tag"]["id"]
    await api.data("mutation($i: TagCustomersInput!) { tagCustomers(input: $i) { changed } }",
                   {"i": {"tagIds": [tag], "customerIds": [gid]}}, token=t.token)
    await api.data("mutation($i: AddCustomerNoteInput!) { addCustomerNote(input: $i) { note { body } } }",
                   {"i": {"customerId": gid, "body": "Prefers DHL Packstation."}}, token=t.token)
    return gid, pk


async def test_data_subject_access_returns_everything_held_unmasked(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    gid, _ = await _full_customer(api, tenant)
    data = (await api.data(DSAR, {"i": {"customerId": gid}}, token=tenant.token))["exportCustomerData"]
    assert data["errors"] == []
    doc = data["data"]
    assert doc["customer"]["id"] == gid and doc["customer"]["first_name"] == "Lena"
    assert doc["customer"]["birthday"] == "1990-04-01" and doc["customer"]["custom_fields"] == {"size": "M"}
    assert doc["customer"]["marketing_consent"]["source"] == "checkout"
    assert doc["emails"][0]["value"] == "lena.vogel@example.de" and doc["phones"][0]["value"] == "+4915123456789"
    assert doc["addresses"][0]["line1"] == "Hauptstr. 5" and doc["addresses"][0]["postal_code"] == "10115"
    assert doc["identities"][0]["external_id"] == "AMZ-LENA"
    assert doc["tags"] and doc["notes"][0]["body"] == "Prefers DHL Packstation."
    (order,) = doc["orders"]
    assert (order["number"], order["total"], order["tracking_number"]) == ("DE-100", "49.90", "00340434")
    assert order["lines"] == [{"sku": "MUG", "name": "Mug", "quantity": 2, "unit_price": "24.95", "currency": "EUR"}]
    # Without crm.customer.pii:read: refused. Another tenant's or an unknown id: not found.
    agent = await _agent(api, rt, tenant)
    refused = await api.post(DSAR, {"i": {"customerId": gid}}, token=agent)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    foreign = await api.data(DSAR, {"i": {"customerId": gid}}, token=other_tenant.token)
    assert foreign["exportCustomerData"] == {"data": None, "errors": [{"code": "NOT_FOUND", "field": ["customerId"]}]}
    bad = await api.data(DSAR, {"i": {"customerId": "nope"}}, token=tenant.token)
    assert bad["exportCustomerData"]["errors"] == [{"code": "INVALID_ID", "field": ["customerId"]}]


async def _raw(sql: str, *params: Any) -> list[dict[str, Any]]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        sql = sql.replace("?", "$1")
    _, rows = await conn.execute_query(sql, list(params))
    return [dict(r) for r in rows]


async def test_erasure_removes_personal_data_and_keeps_orders_anonymised(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    gid, pk = await _full_customer(api, tenant)
    counts_before = {t: len(await _raw(f"SELECT id FROM {t} WHERE customer_id = ?", pk))  # noqa: S608
                     for t in ("crm_contact", "crm_address", "crm_identity", "crm_note", "crm_customer_tag")}
    assert all(counts_before.values()), counts_before

    # Bad input changes nothing.
    no_confirm = await api.data(ERASE, {"i": {"customerId": gid}}, token=tenant.token)
    assert [(e["code"], e["field"]) for e in no_confirm["eraseCustomer"]["errors"]] == [
        ("CONFIRMATION_REQUIRED", ["confirm"])]
    assert no_confirm["eraseCustomer"]["customer"] is None
    both = await api.data(ERASE, {"i": {"customerId": "nope", "confirm": False}}, token=tenant.token)
    assert {e["code"] for e in both["eraseCustomer"]["errors"]} == {"INVALID_ID", "CONFIRMATION_REQUIRED"}
    foreign = await api.data(ERASE, {"i": {"customerId": gid, "confirm": True}}, token=other_tenant.token)
    assert [e["code"] for e in foreign["eraseCustomer"]["errors"]] == ["NOT_FOUND"]
    agent = await _agent(api, rt, tenant)
    refused = await api.post(ERASE, {"i": {"customerId": gid, "confirm": True}}, token=agent)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert {t: len(await _raw(f"SELECT id FROM {t} WHERE customer_id = ?", pk))  # noqa: S608
            for t in counts_before} == counts_before
    assert (await Customer.get(id=pk)).first_name == "Lena"

    # A record merged into this customer is the same person: erased with it.
    source = _pk(await _create(api, tenant, firstName="Lena", lastName="V.", emails=["lv@example.de"]))
    await Customer.filter(id=source).update(merged_into_id=pk)

    done = await api.data(ERASE, {"i": {"customerId": gid, "confirm": True}}, token=tenant.token)
    assert done["eraseCustomer"]["errors"] == []
    assert done["eraseCustomer"]["customer"] == {"id": gid, "displayName": "", "stage": "erased", "emails": []}
    for table in counts_before:
        assert await _raw(f"SELECT id FROM {table} WHERE customer_id IN ({pk}, {source})") == [], table  # noqa: S608
    for row in await _raw(f"SELECT * FROM crm_customer WHERE id IN ({pk}, {source})"):  # noqa: S608
        assert (row["first_name"], row["last_name"], row["display_name"], row["birthday"]) == ("", "", "", None)
        assert row["stage"] == "erased" and row["consent_source"] == "" and "size" not in str(row["custom_fields"])
    # Orders and their lines stay (the books), linked to the anonymised record, without tracking numbers.
    (order,) = await _raw("SELECT * FROM crm_order WHERE customer_id = ?", pk)
    assert (order["number"], order["total"], order["tracking_number"]) == ("DE-100", 4990, "")
    assert len(await _raw("SELECT id FROM crm_order_line WHERE order_id = ?", order["id"])) == 1
    # The audit log keeps what happened, but no personal values: not in the erasure entry, not in earlier ones.
    entries = await AuditEntry.filter(tenant_id=tenant.id, object_type="Customer", object_id=str(pk))
    assert "customer.erase" in [e.action for e in entries]
    text = str([(e.before, e.after) for e in entries])
    for secret in ("Lena", "Vogel", "lena.vogel", "1990-04-01", "checkout", "Hauptstr", "AMZ-LENA"):
        assert secret not in text, secret
    # Neither search nor the DSAR finds the person any more; erasing twice is refused.
    found = await api.data('{ customers(first: 5, filter: {search: "lena.vogel@example.de"}) { edges { node { id } } } }',
                           token=tenant.token)
    assert found["customers"]["edges"] == []
    again = await api.data(ERASE, {"i": {"customerId": gid, "confirm": True}}, token=tenant.token)
    assert [e["code"] for e in again["eraseCustomer"]["errors"]] == ["ALREADY_ERASED"]


def test_the_purge_removes_old_exports_uploads_and_what_killed_jobs_left(tmp_path: Any) -> None:
    """Killed exports leave `.part` files and the writer's scratch folder, full of decrypted contact
    data; lost imports leave their upload. The purge takes them all, whatever their names."""
    import os

    now = time.time()
    tenant = tmp_path / "exports" / "7"
    scratch = tenant / f".tmp-{'a' * 32}"
    scratch.mkdir(parents=True)
    files = {
        "old.xlsx": (tenant / f"{'b' * 32}.xlsx", now - 25 * 3600, True),
        "fresh.xlsx": (tenant / f"{'c' * 32}.xlsx", now - 3600, False),
        "old.part": (tenant / f"{'d' * 32}.xlsx.part", now - 7 * 3600, True),
        "running.part": (tenant / f"{'e' * 32}.xlsx.part", now - 600, False),
        "stray": (tenant / "tmp8f2k1q", now - 25 * 3600, True),
        "scratch": (scratch / "tmpx", now - 7 * 3600, True),
    }
    for path, mtime, _ in files.values():
        path.write_bytes(b"ana@example.com")
        os.utime(path, (mtime, mtime))
    os.utime(scratch, (now - 7 * 3600, now - 7 * 3600))
    removed = core_exports.purge_tree(tmp_path / "exports", now=now)
    assert removed == 4  # old.xlsx, old.part, stray, the scratch folder (with its file)
    for name, (path, _, gone) in files.items():
        assert path.exists() != gone, name


async def test_a_failed_export_leaves_no_file_behind(api: Api, rt: Any, tenant: TenantFixture,
                                                     monkeypatch: Any) -> None:
    from modules.crm.services import exports as crm_exports

    async def half_written(path: Any, *_: Any, scratch: Any = None, **__: Any) -> int:
        (scratch / "tmp-rows").write_bytes(b"ana@example.com,+4915112345678")
        path.write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(crm_exports, "write_customers", half_written)
    export_id = uuid.uuid4().hex
    await job_record(asdict(crm_exports.ExportStatus(id=export_id, tenant_id=tenant.id, user_id=tenant.admin_id,
                                                     status="PENDING", pii=True, created_at="2026-01-01T00:00:00+00:00")),
                     crm_exports.JOB_NAME, status="queued")
    with pytest.raises(OSError):
        await crm_exports.run_export(rt.settings, export_id, tenant.id, {}, True, None, "en", str)
    folder = core_exports.export_dir(rt.settings, tenant.id)
    assert list(folder.iterdir()) == []
    status = await crm_exports.get_status(tenant.id, export_id)
    assert status is not None and (status.status, status.error) == ("FAILED", "EXPORT_FAILED")
