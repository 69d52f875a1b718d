"""One batch of customers: match, compare, then create or update (one transaction, the caller's).

Key: (tenant, channel, external_id) through crm_identity when the row has an external_id (and so a
channel: its `channel` cell or --channel); otherwise the blind index of the normalised e-mail within
the tenant.
A matched customer is "unchanged" when every non-empty cell equals what is stored and its e-mail
and phone are among its contacts; otherwise it is "skipped" (--on-conflict skip) or "updated":
non-empty cells overwrite, a new e-mail or phone is added (primary if it has none of that kind).
A later row of the file with the key of an earlier one (an e-mail repeated in another case) is matched
against that customer as the earlier rows left it (Target), exactly as a later batch would be.
`birthday` sets the birthday; `tags` names tags to add (matched case-insensitively among the tenant's,
created when missing: _link_tags), never to remove. `custom.<key>` cells set custom fields (merged
into the stored ones); a new customer needs a value for every required custom field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from core.crypto import cipher
from core.i18n import N_
from modules.crm.models import Tag
from modules.crm.services.contacts import contact_hash
from modules.crm.services.importer.columns import err
from modules.crm.services.importer.context import Context, Counts, Row
from modules.crm.services.importer.writer import Writer, customers_by_email
from modules.crm.services.tags import ByName

FIELDS = ("first_name", "last_name", "country", "language", "currency", "tier", "birthday")
CUSTOMER = ("id", "tenant_id", "first_name", "last_name", "display_name", "country", "language", "currency",
            "marketing_consent", "consent_source", "tier", "stage", "birthday", "custom_fields", "created_at",
            "updated_at")
CONTACT = ("id", "tenant_id", "customer_id", "kind", "value", "value_hash", "is_primary", "created_at")
IDENTITY = ("id", "tenant_id", "customer_id", "channel_id", "external_id")
Key = tuple[Any, ...]  # ("x", channel id, external id) or ("e", e-mail blind index)
UPDATE = ("UPDATE crm_customer SET first_name = ?, last_name = ?, display_name = ?, country = ?, language = ?, "
          "currency = ?, tier = ?, birthday = ?, custom_fields = ?, updated_at = ? WHERE id = ? AND tenant_id = ?")
TAG = ("id", "tenant_id", "name", "colour")
TAG_LINK = ("id", "tenant_id", "customer_id", "tag_id")
TAG_COLOUR = Tag._meta.fields_map["colour"].default
TAG_CONFLICT = ("tenant_id", "(lower(name))")  # the unique index of crm migration 0006 (PostgreSQL's arbiter)


def _json(value: Any) -> dict[str, Any]:
    """A JSON column read with raw SQL (text on SQLite and through asyncpg without a codec)."""
    return dict(json.loads(value) if isinstance(value, str | bytes) else value or {})


@dataclass
class Target:
    """A customer as this batch leaves it: stored (`cid`) or created by the batch (`row`, its first row).
    A later row with its key compares with this, as a row of a later batch compares with what is stored,
    so the same customer twice in a file (an e-mail differing only in case) is one customer."""

    cid: int | None
    row: Row | None
    fields: dict[str, Any]  # FIELDS and "custom"
    contacts: list[tuple[str, str, str, bool]]  # kind, value ("" when stored), blind index, primary
    changed: bool = False  # a stored customer whose fields change
    tags: dict[str, str] = field(default_factory=dict)  # its tags' names by their case-folded name
    tagged: list[str] = field(default_factory=list)  # tag names to link it to

    def tag(self, name: str) -> None:
        self.tags[name.casefold()] = name
        self.tagged.append(name)

    def has(self, kind: str, value_hash: str) -> bool:
        return any(k == kind and h == value_hash for k, _, h, _ in self.contacts)

    def add(self, kind: str, value: str, value_hash: str) -> None:
        self.contacts.append((kind, value, value_hash, not any(k == kind for k, _, _, _ in self.contacts)))


async def _tag_index(w: Writer, tid: int) -> ByName:
    return ByName({str(n): int(i) for i, n in await w.fetch("SELECT id, name FROM crm_tag WHERE tenant_id = ?", tid)})


async def _link_tags(w: Writer, tid: int, targets: list[tuple[int, Target]]) -> None:
    """Link customers to their new tags by name: a tenant's tag matches case-insensitively (an exact match
    first, as services/tags.py matches everywhere), a name it does not have is created (default colour)."""
    wanted = [(cid, name) for cid, t in targets for name in t.tagged]
    if not wanted:
        return
    index = await _tag_index(w, tid)
    missing: dict[str, str] = {}
    for _, name in wanted:
        if index.get(name) is None:
            missing.setdefault(name.casefold(), name)
    if missing:
        names = list(missing.values())
        # A tag another writer created meanwhile, in any case, wins (the unique index on lower(name)): read
        # the tenant's tags again rather than only the names inserted.
        await w.insert("crm_tag", TAG, [(i, tid, name, TAG_COLOUR) for i, name in zip(
            await w.next_ids("crm_tag", len(names)), names, strict=True)], conflict=TAG_CONFLICT)
        index = await _tag_index(w, tid)
    links = sorted({(cid, tag_id) for cid, name in wanted if (tag_id := index.get(name)) is not None})
    await w.insert("crm_customer_tag", TAG_LINK, [(i, tid, cid, tag_id) for i, (cid, tag_id) in zip(
        await w.next_ids("crm_customer_tag", len(links)), links, strict=True)], conflict=("customer_id", "tag_id"))


async def write_customers(w: Writer, ctx: Context, rows: list[Row]) -> Counts:
    counts = Counts()
    tid = ctx.tenant_id
    keyed: list[tuple[Row, Key]] = []
    for row in rows:
        v = row.values
        v["email_hash"] = contact_hash("email", v["email"]) if v["email"] else None
        v["phone_hash"] = contact_hash("phone", v["phone"]) if v["phone"] else None
        key: Key = ("x", v["channel_id"], v["external_id"]) if v["has_channel"] and v["external_id"] \
            else ("e", v["email_hash"])
        keyed.append((row, key))

    found: dict[Key, int] = {}
    ext = [k for _, k in keyed if k[0] == "x" and k[1] is not None]  # a new --channel has no identities yet
    if ext:
        for channel_id, external_id, cid in await w.fetch(
                "SELECT channel_id, external_id, customer_id FROM crm_identity WHERE tenant_id = ? "
                "AND channel_id IN ? AND external_id IN ?", tid, sorted({k[1] for k in ext}),
                sorted({k[2] for k in ext})):
            found[("x", int(channel_id), external_id)] = int(cid)
    hashes = sorted({r.values["email_hash"] for r, _ in keyed if r.values["email_hash"]})
    for value_hash, cid in (await customers_by_email(w, tid, hashes)).items():
        found[("e", value_hash)] = cid
    stored: dict[int, Target] = {}
    ids = sorted({found[k] for _, k in keyed if k in found})
    if ids:
        for r in await w.fetch("SELECT id, first_name, last_name, country, language, currency, tier, birthday, "
                               "custom_fields FROM crm_customer WHERE tenant_id = ? AND id IN ?", tid, ids):
            fields = dict(zip(FIELDS, r[1:-1], strict=True))
            if isinstance(fields["birthday"], str):  # SQLite
                fields["birthday"] = date.fromisoformat(fields["birthday"])
            stored[int(r[0])] = Target(int(r[0]), None, {**fields, "custom": _json(r[-1])}, [])
        for cid, kind, value_hash in await w.fetch(
                "SELECT customer_id, kind, value_hash FROM crm_contact WHERE tenant_id = ? AND customer_id IN ?",
                tid, ids):
            if int(cid) in stored:
                stored[int(cid)].contacts.append((kind, "", value_hash, True))
        if any(r.values["tags"] for r, _ in keyed):
            for cid, name in await w.fetch(
                    "SELECT l.customer_id, t.name FROM crm_customer_tag l JOIN crm_tag t ON t.id = l.tag_id "
                    "WHERE l.tenant_id = ? AND l.customer_id IN ?", tid, ids):
                stored[int(cid)].tags[str(name).casefold()] = str(name)

    targets: dict[Key, Target] = {}
    new: list[Target] = []
    for row, key in keyed:
        v = row.values
        target = targets.get(key) or stored.get(found.get(key, 0))
        if target is None:
            missing_custom = [err("REQUIRED", N_("{label} is required."), f"custom.{k}", label=d.label)
                              for k, d in ctx.custom_defs.items() if d.required and v["custom"].get(k) is None]
            if missing_custom:
                ctx.fail(row, missing_custom)
                counts.failed += 1
                continue
            target = Target(None, row, {**{f: v[f] for f in FIELDS}, "custom": v["custom"]},
                            [(k, v[k], v[f"{k}_hash"], True) for k in ("email", "phone") if v[k]])
            for name in v["tags"]:
                target.tag(name)
            new.append(target)
            targets[key] = target
            if v["email_hash"] and ("e", v["email_hash"]) not in found:  # as a later batch would find it
                targets.setdefault(("e", v["email_hash"]), target)
            continue
        targets[key] = target
        changes = {f: v[f] for f in FIELDS if v[f] is not None and v[f] != target.fields[f]}
        if v["custom"] and {**target.fields["custom"], **v["custom"]} != target.fields["custom"]:
            changes["custom"] = {**target.fields["custom"], **v["custom"]}
        missing = [k for k in ("email", "phone") if v[k] and not target.has(k, v[f"{k}_hash"])]
        untagged = [name for name in v["tags"] if name.casefold() not in target.tags]
        if not changes and not missing and not untagged:
            counts.unchanged += 1
        elif ctx.on_conflict == "skip":
            counts.skipped += 1
        else:
            counts.updated += 1
            target.fields.update(changes)
            target.changed = target.changed or bool(changes)
            for k in missing:
                target.add(k, v[k], v[f"{k}_hash"])
            for name in untagged:
                target.tag(name)
    channel_ids = [await ctx.row_channel(w, t.row.values) if t.row and t.row.values["external_id"] else None
                   for t in new]
    if ctx.dry_run:
        counts.created += len(new)
        return counts

    now = datetime.now(UTC)
    customers: list[tuple[Any, ...]] = []
    pending_contacts: list[tuple[int, str, str, str, bool]] = []
    identities: list[tuple[int, int, str]] = []
    for target, cid, channel_id in zip(new, await w.next_ids("crm_customer", len(new)), channel_ids, strict=True):
        c, external_id = target.fields, target.row.values["external_id"] if target.row else None
        first, last = c["first_name"] or "", c["last_name"] or ""
        customers.append((cid, tid, first, last, f"{first} {last}".strip(), c["country"], c["language"],
                          c["currency"], False, "", c["tier"] or "standard", "new", c["birthday"],
                          json.dumps(c["custom"]), now, now))
        pending_contacts += [(cid, *contact) for contact in target.contacts]
        if channel_id is not None and external_id:
            identities.append((cid, channel_id, external_id))
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
        for target, record in zip(new, customers, strict=True):
            if record[0] in orphans:
                target.tagged.clear()
    counts.created += created
    updates = [(t.cid, t.fields) for t in stored.values() if t.changed]
    added = [(t.cid, kind, value, value_hash, primary) for t in stored.values()
             for kind, value, value_hash, primary in t.contacts if value]  # stored ones have no value here
    await w.executemany(UPDATE, [
        (c["first_name"], c["last_name"], f"{c['first_name']} {c['last_name']}".strip(), c["country"],
         c["language"], c["currency"], c["tier"], c["birthday"], json.dumps(c["custom"]), now, cid, tid)
        for cid, c in updates])
    await _link_tags(w, tid, [(cid, t) for t, cid in zip(new, (r[0] for r in customers), strict=True)]
                     + [(t.cid, t) for t in stored.values() if t.cid is not None])
    if added:
        records = [(i, tid, cid, kind, encrypt(value), value_hash, primary, now) for i, (cid, kind, value,
                   value_hash, primary) in zip(await w.next_ids("crm_contact", len(added)), added, strict=True)]
        await w.insert("crm_contact", CONTACT, records)
    return counts
