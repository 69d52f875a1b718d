"""Orders files with one row per order line (the `sku` column is there): consecutive rows with the same
external_id are one order. Its order columns come from its first row; a later row repeats them or
leaves them empty (a different value is an error). An order with a bad row is refused whole: every one
of its rows goes to the error report, and it counts as one failed order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.errors import UserFacingError
from core.i18n import N_
from modules.crm.services.importer.columns import ORDER_ONLY, err
from modules.crm.services.importer.context import Row

MAX_LINES = 500  # per order, as for orders entered by hand
ORDER_COLUMNS = ORDER_ONLY


def _cell(cells: Sequence[str], index: int) -> str:
    return cells[index].strip() if 0 <= index < len(cells) else ""


def same_order(names: Sequence[str], previous: Sequence[str], cells: Sequence[str]) -> bool:
    """Whether a row continues the order of the previous row."""
    index = names.index("external_id")
    return bool(_cell(cells, index)) and _cell(cells, index) == _cell(previous, index)


def continued(names: Sequence[str], first: Row, values: dict[str, str]) -> tuple[dict[str, str], list[UserFacingError]]:
    """A later row of an order: its order columns as on the order's first row (an empty cell takes
    that value; another value is an error)."""
    out = dict(values)
    errors: list[UserFacingError] = []
    for i, name in enumerate(names):
        if name in ORDER_COLUMNS:
            mine = values.get(name, "").strip()
            if mine and mine != _cell(first.cells, i):
                errors.append(err("ORDER_MISMATCH", N_("The lines of one order repeat its {field} or leave it "
                                                       "empty: row {line} has another value."),
                                  name, field=name, line=first.line))
            out[name] = first.cells[i] if i < len(first.cells) else ""
    return out, errors


def group_orders(names: Sequence[str], checked: Sequence[tuple[Row, list[UserFacingError]]],
                 fail: Callable[[Row, list[UserFacingError]], None]) -> tuple[list[Row], int]:
    """The good orders (each the first row of its order, with `lines` and `members`), and how many
    orders failed."""
    groups: list[list[tuple[Row, list[UserFacingError]]]] = []
    for row, errors in checked:  # the caller completed later rows with continued()
        if groups and same_order(names, groups[-1][-1][0].cells, row.cells):
            groups[-1].append((row, errors))
        else:
            groups.append([(row, errors)])
    good: list[Row] = []
    failed = 0
    subtotal = names.index("subtotal") if "subtotal" in names else -1
    for group in groups:
        first = group[0][0]
        if len(group) > MAX_LINES:
            group[0][1].append(err("INVALID_LINES", N_("An order has 1 to {max} lines."), "sku", max=MAX_LINES))
        if any(errors for _, errors in group):
            refused = err("ORDER_REFUSED", N_("Another row of this order is wrong: the order was not imported."))
            for row, errors in group:
                fail(row, errors or [refused])
            failed += 1
            continue
        first.members = [row for row, _ in group]
        first.values["lines"] = [row.values["line"] for row, _ in group]
        if not _cell(first.cells, subtotal):
            first.values["subtotal"] = sum(line["quantity"] * line["unit_price"] for line in first.values["lines"])
        good.append(first)
    return good, failed
