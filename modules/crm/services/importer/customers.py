"""One batch of customers: match, compare, then create or update (one transaction, the caller's).

Key: (tenant, channel, external_id) through crm_identity when the row has an external_id (and so a
channel: its `channel` cell or --channel); otherwise the blind index of the normalised e-mail within
the tenant.
A matched customer is "unchanged" when every non-empty cell equals what is stored and its e-mail
and phone are among its contacts; otherwise it is "skipped" (--on-conflict skip) or "updated":
non-empty cells overwrite, a new e-mail or phone is added (primary if it has none of that kind).
`custom.<key>` cells set custom fields (merged into the stored ones); a new customer needs a value for
every required custom field.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from core.crypto import cipher
from core.i18n import N_
from modules.crm.services.contacts import contact_hash
from modules.crm.services.importer.columns import err
from modules.crm.services.importer.context import Context, Counts, Row
from modules.crm.services.importer.writer import Writer, customers_by_email

FIELDS = ("first_name", "last_name", "country", "language", "currency", "tier")
CUSTOMER = ("id", "tenant_id", "first_name", "last_name", "display_name", "country", "language", "currency",
            "marketing_consent", "consent_source", "tier", "stage", "custom_fields", "created_at", "updated_at")
CONTACT = ("id", "tenant_id", "customer_id", "kind", "value", "value_hash", "is_primary", "created_at")
IDENTITY = ("id", "tenant_id", "customer_id", "channel_id", "external_id")
Key = tuple[Any, ...]  # ("x", channel id, external id) or ("e", e-mail blind index)
UPDATE = ("UPDATE crm_customer SET first_name = ?, last_name = ?, display_name = ?, country = ?, language = ?, "
          "currency = ?, tier = ?, custom_fields = ?, updated_at = ? WHERE id = ? AND tenant_id = ?")


def _json(value: Any) -> dict[str, Any]:
    """A JSON column read with raw SQL (text on SQLite and through asyncpg without a codec)."""
    return dict(json.loads(value) if isinstance(value, str | bytes) else value or {})


async def write_customers(w: Writer, ctx: Context, rows: list[Row]) -> Counts:
    counts = Counts()
    tid = ctx.tenant_id
    keyed: list[tuple[Row, Key]] = []
    seen: dict[Key, int] = {}
    for row in rows:
        v = row.values
        v["email_hash"] = contact_hash("email", v["email"]) if v["email"] else None
        v["phone_hash"] = contact_hash("phone", v["phone"]) if v["phone"] else None
        key: Key = ("x", v["channel_id"], v["external_id"]) if v["has_channel"] and v["external_id"] \
            else ("e", v["email_hash"])
        if key in seen:
            ctx.fail(row, [err("DUPLICATE_ROW", N_("The same customer is on row {line} of this file."),
                               "external_id" if key[0] == "x" else "email", line=seen[key])])
            counts.failed += 1
            continue
        seen[key] = row.line
        keyed.append((row, key))

    found: dict[Key, int] = {}
    ext = [k for _, k in keyed if k[0] == "x" and k[1] is not None]  # a new --channel has no identities yet
    if ext:
        for channel_id, external_id, cid in await w.fetch(
                "SELECT channel_id, external_id, customer_id FROM crm_identity WHERE tenant_id = ? "
                "AND channel_id IN ? AND external_id IN ?", tid, sorted({k[1] for k in ext}),
                sorted({k[2] for k in ext})):
            found[("x", int(channel_id), external_id)] = int(cid)
    hashes = [k[1] for _, k in keyed if k[0] == "e"]
    for value_hash, cid in (await customers_by_email(w, tid, hashes)).items():
        found[("e", value_hash)] = cid
    current: dict[int, dict[str, Any]] = {}
    contacts: dict[int, set[tuple[str, str]]] = {}
    ids = sorted(set(found.values()))
    if ids:
        for r in await w.fetch("SELECT id, first_name, last_name, country, language, currency, tier, custom_fields "
                               "FROM crm_customer WHERE tenant_id = ? AND id IN ?", tid, ids):
            current[int(r[0])] = {**dict(zip(FIELDS, r[1:-1], strict=True)), "custom": _json(r[-1])}
            contacts[int(r[0])] = set()
        for cid, kind, value_hash in await w.fetch(
                "SELECT customer_id, kind, value_hash FROM crm_contact WHERE tenant_id = ? AND customer_id IN ?",
                tid, ids):
            contacts.setdefault(int(cid), set()).add((kind, value_hash))

    new: list[Row] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    added: list[tuple[int, str, str, str, bool]] = []  # customer id, kind, value, hash, primary
    for row, key in keyed:
        v = row.values
        cid = found.get(key)
        if cid is None or cid not in current:
            missing_custom = [err("REQUIRED", N_("{label} is required."), f"custom.{k}", label=d.label)
                              for k, d in ctx.custom_defs.items() if d.required and v["custom"].get(k) is None]
            if missing_custom:
                ctx.fail(row, missing_custom)
                counts.failed += 1
            else:
                new.append(row)
            continue
        changes = {f: v[f] for f in FIELDS if v[f] is not None and v[f] != current[cid][f]}
        if v["custom"] and {**current[cid]["custom"], **v["custom"]} != current[cid]["custom"]:
            changes["custom"] = {**current[cid]["custom"], **v["custom"]}
        have = contacts.get(cid, set())
        missing = [k for k in ("email", "phone") if v[k] and (k, v[f"{k}_hash"]) not in have]
        if not changes and not missing:
            counts.unchanged += 1
        elif ctx.on_conflict == "skip":
            counts.skipped += 1
        else:
            counts.updated += 1
            if changes:
                updates.append((cid, {**current[cid], **changes}))
            kinds = {k for k, _ in have}
            added += [(cid, k, v[k], v[f"{k}_hash"], k not in kinds) for k in missing]
    channel_ids = [await ctx.row_channel(w, r.values) if r.values["external_id"] else None for r in new]
    if ctx.dry_run:
        counts.created += len(new)
        return counts

    now = datetime.now(UTC)
    customers: list[tuple[Any, ...]] = []
    pending_contacts: list[tuple[int, str, str, str, bool]] = []
    identities: list[tuple[int, int, str]] = []
    for row, cid, channel_id in zip(new, await w.next_ids("crm_customer", len(new)), channel_ids, strict=True):
        v = row.values
        first, last = v["first_name"] or "", v["last_name"] or ""
        customers.append((cid, tid, first, last, f"{first} {last}".strip(), v["country"], v["language"],
                          v["currency"], False, "", v["tier"] or "standard", "new", json.dumps(v["custom"]), now, now))
        pending_contacts += [(cid, k, v[k], v[f"{k}_hash"], True) for k in ("email", "phone") if v[k]]
        if channel_id is not None and v["external_id"]:
            identities.append((cid, channel_id, v["external_id"]))
    encrypt = cipher().encrypt
    contact_records = [(i, tid, cid, kind, encrypt(value), value_hash, primary, now) for i, (cid, kind, value,
                       value_hash, primary) in zip(await w.next_ids("crm_contact", len(pending_contacts)),
                                                   pending_contacts, strict=True)]
    identity_records = [(i, tid, cid, channel_id, external_id) for i, (cid, channel_id, external_id)
                        in zip(await w.next_ids("crm_identity", len(identities)), identities, strict=True)]
    await w.insert("crm_customer", CUSTOMER, customers)
    await w.insert("crm_contact", CONTACT, contact_records)
    written = await w.insert("crm_identity", IDENTITY, identity_records,
                             conflict=("tenant_id", "channel_id", "external_id"))
    created = len(customers)
    if written < len(identity_records):
        # Another import created these identities meanwhile: drop the customers made for them.
        orphans = [r[0] for r in await w.fetch(
            "SELECT c.id FROM crm_customer c WHERE c.tenant_id = ? AND c.id IN ? AND NOT EXISTS "
            "(SELECT 1 FROM crm_identity i WHERE i.customer_id = c.id)", tid, [r[2] for r in identity_records])]
        await w.execute("DELETE FROM crm_contact WHERE tenant_id = ? AND customer_id IN ?", tid, orphans)
        await w.execute("DELETE FROM crm_customer WHERE tenant_id = ? AND id IN ?", tid, orphans)
        created -= len(orphans)
        counts.skipped += len(orphans)
    counts.created += created
    await w.executemany(UPDATE, [
        (c["first_name"], c["last_name"], f"{c['first_name']} {c['last_name']}".strip(), c["country"],
         c["language"], c["currency"], c["tier"], json.dumps(c["custom"]), now, cid, tid) for cid, c in updates])
    if added:
        records = [(i, tid, cid, kind, encrypt(value), value_hash, primary, now) for i, (cid, kind, value,
                   value_hash, primary) in zip(await w.next_ids("crm_contact", len(added)), added, strict=True)]
        await w.insert("crm_contact", CONTACT, records)
    return counts
