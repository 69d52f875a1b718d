"""A customer's interaction timeline, newest first, merged from sources that any module registers.

crm registers its own sources (orders placed, shipped, delivered; notes; merges). Another module
adds its events without crm importing it: at import time of its own code (for example its
`graphql/schema.py`, which the schema builder loads) it calls

    from modules.crm.services.timeline import TimelineCursor, TimelineEvent, register_timeline_source

    async def tickets(tenant_id, customer_id, after: TimelineCursor | None, limit) -> list[TimelineEvent]:
        ...  # at most `limit` events that come after `after` in timeline order

    register_timeline_source("aftersales.tickets", tickets, permission=("aftersales.ticket", "read"))

Timeline order is (at descending, kind, id). Every event kind is prefixed by its module
("aftersales.ticket_opened") so (kind, id) is unique. `after_cursor()` applies the "comes after"
condition to a tortoise queryset that yields one kind of event.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import CustomerMerge, Note, Order

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TimelineCursor:
    """The position of the last event of a page: the next page starts strictly after it."""

    at: datetime
    kind: str
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.kind, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> TimelineCursor:
        """Raises ValueError on anything that is not a cursor this module wrote."""
        try:
            at, kind, pk = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
            when = datetime.fromisoformat(at)
        except (ValueError, TypeError, UnicodeDecodeError):
            raise ValueError("not a timeline cursor") from None
        if not isinstance(kind, str) or not isinstance(pk, int) or isinstance(pk, bool) or when.tzinfo is None:
            raise ValueError("not a timeline cursor")
        return cls(when, kind, pk)

    def sort_key(self) -> tuple[int, str, int]:
        """Timeline order as a plain tuple: newest first (exact to the microsecond), then kind, id."""
        return (-((self.at - EPOCH) // timedelta(microseconds=1)), self.kind, self.id)


@dataclass(frozen=True)
class TimelineEvent:
    """One event. `summary` is an English msgid of `domain`, translated with `params` when shown
    (params must not hold personal data). `ref_type`/`ref_id` name what the event is about: a
    GraphQL Node type name gives a global ID, anything else the plain id."""

    at: datetime
    kind: str
    id: int
    summary: str
    domain: str = "crm"
    params: dict[str, Any] = field(default_factory=dict)
    ref_type: str | None = None
    ref_id: int | None = None

    @property
    def cursor(self) -> TimelineCursor:
        return TimelineCursor(self.at, self.kind, self.id)

    def sort_key(self) -> tuple[int, str, int]:
        return self.cursor.sort_key()


TimelineSource = Callable[[int, int, TimelineCursor | None, int], Awaitable[list[TimelineEvent]]]
Permission = tuple[str, str]
_sources: dict[str, tuple[TimelineSource, Permission | None]] = {}


def register_timeline_source(name: str, source: TimelineSource, permission: Permission | None = None) -> None:
    """Add a source of events. `permission` (resource, action): only callers holding it see these
    events, as on every other path to the same data (a ticket's events need aftersales.ticket:read);
    None: whoever reads the customer. Registering the same function again is a no-op (re-imports);
    another function under a taken name is an error."""
    if name in _sources and _sources[name][0] is not source:
        raise ValueError(f"timeline source {name!r} is already registered")
    _sources[name] = (source, permission)


def unregister_timeline_source(name: str) -> None:
    _sources.pop(name, None)


def timeline_sources() -> dict[str, TimelineSource]:
    return {name: source for name, (source, _) in _sources.items()}


def after_cursor(queryset: QuerySet[Any], at_field: str, kind: str, after: TimelineCursor | None
                 ) -> QuerySet[Any]:
    """Rows of one event kind that come after `after`, in timeline order (at desc, id asc)."""
    qs = queryset.filter(**{f"{at_field}__isnull": False})
    if after is not None:
        before_value: dict[str, Any] = {f"{at_field}__lt": after.at}
        same_value: dict[str, Any] = {at_field: after.at}
        earlier = Q(**before_value)
        if kind > after.kind:
            qs = qs.filter(earlier | Q(**same_value))
        elif kind == after.kind:
            qs = qs.filter(earlier | (Q(**same_value) & Q(id__gt=after.id)))
        else:
            qs = qs.filter(earlier)
    return qs.order_by(f"-{at_field}", "id")


async def timeline_page(tenant_id: int, customer_id: int, after: TimelineCursor | None, first: int,
                        held: Collection[Permission] | None = None) -> tuple[list[TimelineEvent], bool]:
    """The next `first` events after `after` from the sources whose permission is in `held` (None:
    every source), and whether there are more.

    Each source returns its own next `first + 1` events; the page is the first `first` of their
    union, so no event is skipped or repeated between pages."""
    events: list[TimelineEvent] = []
    for source, permission in list(_sources.values()):
        if permission is not None and held is not None and permission not in held:
            continue
        events += await source(tenant_id, customer_id, after, first + 1)
    events.sort(key=TimelineEvent.sort_key)
    if after is not None:  # a source that ignored the cursor must not repeat events
        events = [e for e in events if e.sort_key() > after.sort_key()]
    return events[:first], len(events) > first


# crm's own sources ------------------------------------------------------------------------------

ORDER_EVENTS = (
    ("crm.order_placed", "placed_at", N_("Order {number} placed")),
    ("crm.order_shipped", "shipped_at", N_("Order {number} shipped")),
    ("crm.order_delivered", "delivered_at", N_("Order {number} delivered")),
)


async def _orders(tenant_id: int, customer_id: int, after: TimelineCursor | None, limit: int
                  ) -> list[TimelineEvent]:
    events = []
    for kind, at_field, summary in ORDER_EVENTS:
        qs = after_cursor(scoped(Order, tenant_id).filter(customer_id=customer_id), at_field, kind, after)
        for row in await qs.limit(limit).values("id", "number", at_field):
            events.append(TimelineEvent(row[at_field], kind, row["id"], summary, params={"number": row["number"]},
                                        ref_type="Order", ref_id=row["id"]))
    return events


async def _notes(tenant_id: int, customer_id: int, after: TimelineCursor | None, limit: int
                 ) -> list[TimelineEvent]:
    qs = after_cursor(scoped(Note, tenant_id).filter(customer_id=customer_id), "created_at", "crm.note_added", after)
    return [TimelineEvent(r["created_at"], "crm.note_added", r["id"], N_("Note added"), ref_type="Note",
                          ref_id=r["id"])
            for r in await qs.limit(limit).values("id", "created_at")]


async def _merges(tenant_id: int, customer_id: int, after: TimelineCursor | None, limit: int
                  ) -> list[TimelineEvent]:
    events = []
    base = scoped(CustomerMerge, tenant_id).filter(target_id=customer_id)
    for r in await after_cursor(base, "created_at", "crm.merged", after).limit(limit).values("id", "created_at",
                                                                                              "source_ids"):
        events.append(TimelineEvent(r["created_at"], "crm.merged", r["id"],
                                    N_("{count} duplicate records merged into this customer"),
                                    params={"count": len(r["source_ids"] or [])}))
    for r in await after_cursor(base, "undone_at", "crm.unmerged", after).limit(limit).values("id", "undone_at"):
        events.append(TimelineEvent(r["undone_at"], "crm.unmerged", r["id"], N_("A merge was undone")))
    return events


register_timeline_source("crm.orders", _orders)
register_timeline_source("crm.notes", _notes)
register_timeline_source("crm.merges", _merges)
