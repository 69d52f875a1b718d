"""RFM scores and lifecycle stages, computed in SQL for a whole tenant at once.

- Recency, frequency and monetary are quintiles (NTILE(5), 5 = best) over the tenant's customers
  with orders (cancelled and refunded orders excluded). Money is ranked within each currency
  (a customer counts in the currency they buy in most), never by adding yen to euros.
- Stages: vip (R, F and M all >= 4), new (one order in the last 30 days), active (an order in the
  last 90 days), at_risk (90 to 180 days), churned (older). Customers without orders, erased
  customers and merged ones keep theirs.
Everything is derived from the orders table, so a lost job or a flushed Redis loses nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from core.sql import connection, params
from modules.crm.models import Order

NEW_DAYS, ACTIVE_DAYS, AT_RISK_DAYS = 30, 90, 180

SCORES = """
WITH stats AS (
  SELECT customer_id, MAX(placed_at) AS last_at, COUNT(*) AS n
  FROM crm_order
  WHERE tenant_id = {p[0]} AND customer_id IS NOT NULL AND status NOT IN ('cancelled', 'refunded')
  GROUP BY customer_id
),
spend AS (
  SELECT customer_id, currency, SUM(total) AS spent,
         ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY COUNT(*) DESC, SUM(total) DESC, currency) AS pick
  FROM crm_order
  WHERE tenant_id = {p[1]} AND customer_id IS NOT NULL AND status NOT IN ('cancelled', 'refunded')
  GROUP BY customer_id, currency
),
scored AS (
  SELECT s.customer_id, s.last_at, s.n,
         NTILE(5) OVER (ORDER BY s.last_at, s.customer_id) AS r,
         NTILE(5) OVER (ORDER BY s.n, s.customer_id) AS f,
         NTILE(5) OVER (PARTITION BY m.currency ORDER BY m.spent, s.customer_id) AS m
  FROM stats s JOIN spend m ON m.customer_id = s.customer_id AND m.pick = 1
)
INSERT INTO crm_customer_score
  (tenant_id, customer_id, recency, frequency, monetary, order_count, last_order_at, computed_at)
SELECT {p[2]}, customer_id, r, f, m, n, last_at, {p[3]} FROM scored WHERE true
ON CONFLICT (customer_id) DO UPDATE SET
  recency = excluded.recency, frequency = excluded.frequency, monetary = excluded.monetary,
  order_count = excluded.order_count, last_order_at = excluded.last_order_at,
  computed_at = excluded.computed_at
"""

STALE = """
DELETE FROM crm_customer_score WHERE tenant_id = {p[0]} AND computed_at < {p[1]}
"""

STAGES = """
UPDATE crm_customer SET stage = COALESCE((
  SELECT CASE
    WHEN s.recency >= 4 AND s.frequency >= 4 AND s.monetary >= 4 THEN 'vip'
    WHEN s.order_count = 1 AND s.last_order_at >= {p[0]} THEN 'new'
    WHEN s.last_order_at >= {p[1]} THEN 'active'
    WHEN s.last_order_at >= {p[2]} THEN 'at_risk'
    ELSE 'churned' END
  FROM crm_customer_score s WHERE s.customer_id = crm_customer.id), stage)
WHERE tenant_id = {p[3]} AND stage <> 'erased' AND merged_into_id IS NULL
"""


COUNT = "SELECT COUNT(*) AS n FROM crm_customer_score WHERE tenant_id = {p[0]}"


def _db_time(moment: datetime) -> Any:
    """A datetime as tortoise writes it for this database (so comparisons in SQL agree)."""
    return Order._meta.fields_map["placed_at"].to_db_value(moment, Order)


async def recompute(tenant_id: int, now: datetime | None = None) -> int:
    """Recompute one tenant's scores and stages; returns how many customers have scores."""
    now = now or datetime.now(UTC)
    stamp = _db_time(now)
    cutoffs = [_db_time(now - timedelta(days=d)) for d in (NEW_DAYS, ACTIVE_DAYS, AT_RISK_DAYS)]
    async with in_transaction() as conn:
        for sql, values in ((SCORES, [tenant_id, tenant_id, tenant_id, stamp]),
                            (STALE, [tenant_id, stamp]),
                            (STAGES, [*cutoffs, tenant_id])):
            await conn.execute_query(sql.format(p=params(conn, len(values))), values)
        _, rows = await conn.execute_query(COUNT.format(p=params(conn, 1)), [tenant_id])
    return int(rows[0]["n"])


async def tenants_with_orders() -> list[int]:
    conn = connection()
    rows = await conn.execute_query_dict("SELECT DISTINCT tenant_id FROM crm_order ORDER BY tenant_id")
    return [int(r["tenant_id"]) for r in rows]
