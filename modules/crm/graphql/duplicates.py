"""duplicateCustomers: groups of customers sharing a normalised e-mail or phone.

A group is identified by its kind and its customers only: the shared value is never part of it
(the customers' contacts are masked per PII permission through Customer anyway). The cursor
carries the group's keyed hash encrypted, so it is opaque and unlinkable.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from core.crypto import CryptoError, cipher
from core.errors import ClientError
from core.graphql.pagination import Connection, Edge, PageInfo, page_size
from core.graphql.permissions import Requires
from core.i18n import N_
from core.tenancy import scoped
from modules.crm import models
from modules.crm.graphql.types import CustomerType
from modules.crm.services.duplicates import PER_GROUP, find_duplicates


@strawberry.enum
class DuplicateKind(Enum):
    EMAIL = "email"
    PHONE = "phone"


@strawberry.type(description="Customers (not merged) sharing one normalised e-mail or phone.")
class DuplicateCustomerGroup:
    read_permission = ("crm.customer", "read")  # reached only through duplicateCustomers
    kind: DuplicateKind
    customer_count: int
    customers: list[CustomerType] = strawberry.field(
        description=f"The first {PER_GROUP} customers of the group, oldest first.")


def _cursor(key: str) -> str:
    return cipher().encrypt(key)


def _key(cursor: str, locale: str) -> str:
    try:
        return cipher().decrypt(cursor)
    except CryptoError:
        raise ClientError("INVALID_CURSOR", N_("The cursor is not valid."), locale) from None


@strawberry.type
class DuplicateQuery:
    @strawberry.field(permission_classes=[Requires("crm.customer", "read")],
                      description="Likely duplicates: customers sharing a normalised e-mail or phone.")
    async def duplicate_customers(self, info: Info, first: int | None = None,
                                  after: str | None = None) -> Connection[DuplicateCustomerGroup]:
        ctx = info.context
        s = ctx.rt.settings
        size = page_size(first, s.default_page_size, s.max_page_size, ctx.locale)
        groups, has_next = await find_duplicates(ctx.tenant_id, size, _key(after, ctx.locale) if after else None)
        ids = {pk for g in groups for pk in g.customer_ids}
        rows = {c.id: c for c in await scoped(models.Customer, ctx.tenant_id).filter(id__in=ids)} if ids else {}
        edges = [Edge(cursor=_cursor(g.key), node=DuplicateCustomerGroup(
            kind=DuplicateKind(g.kind), customer_count=g.customer_count,
            customers=[CustomerType.from_row(rows[pk]) for pk in g.customer_ids if pk in rows])) for g in groups]
        return Connection(edges=edges, page_info=PageInfo(
            has_next_page=has_next, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))
