"""Order numbers as buyers quote them in free text (a mail's subject and body), per platform.

The formats the marketplaces print on every order page and mail: Amazon `123-1234567-1234567`,
eBay `12-34567-89012`, a Shopify (or own shop) `#1001`; and the tenant's own, set per sales
channel as a format where `{n}` is n digits and `{n-m}` n to m digits (`SO-{6}`, `INV/{4}/{5-7}`).
A format is never a regular expression a tenant writes: it compiles to literal text and bounded
digit runs, which scan a 100 KB mail in linear time. A number found here links nothing by itself:
`find_customer_order` accepts it only when the order is the sender's own, so a buyer who quotes
someone else's number reaches no one's data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.errors import UserFacingError
from core.i18n import N_
from core.tenancy import scoped
from modules.crm.models import SalesChannel
from modules.crm.services.errors import crm_error

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("amazon", re.compile(r"(?<![\d-])\d{3}-\d{7}-\d{7}(?![\d-])")),
    ("ebay", re.compile(r"(?<![\d-])\d{2}-\d{5}-\d{5}(?![\d-])")),
    ("shop", re.compile(r"(?<![\w#&])#\d{3,12}(?!\d)")),  # "#1001"; "&#1234;" is an HTML entity
)
MAX_NUMBERS = 10  # a mail quoting more is a list, not an order question
MAX_FORMAT = 40
_PART = re.compile(r"\{(\d{1,2})(?:-(\d{1,2}))?\}")


def compile_format(text: str, path: Sequence[str] = ("orderNumberFormat",)) -> re.Pattern[str]:
    """A tenant's order number format as a pattern; a clear error for one that is not a format."""
    def invalid() -> UserFacingError:
        return crm_error("INVALID_FORMAT", N_("An order number format is text with {{n}} for n digits "
                                              "(or {{n-m}}), such as SO-{{6}}, at most {max} characters."),
                         list(path), max=MAX_FORMAT)
    if not text or len(text) > MAX_FORMAT or any(c.isspace() for c in text):
        raise invalid()
    regex, at, digits = [], 0, 0
    for match in _PART.finditer(text):
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= low <= high <= 20:
            raise invalid()
        regex += [re.escape(text[at:match.start()]), rf"\d{{{low},{high}}}"]
        at, digits = match.end(), digits + low
    rest = text[at:]
    if digits < 3 or "{" in rest or "}" in rest or any("{" in p or "}" in p for p in regex[::2]):
        raise invalid()
    return re.compile(rf"(?<![\w-]){''.join(regex)}{re.escape(rest)}(?![\w])")


async def tenant_formats(tenant_id: int) -> list[re.Pattern[str]]:
    """The patterns of the order number formats the tenant's sales channels set."""
    formats = await (scoped(SalesChannel, tenant_id).exclude(order_number_format="")
                     .values_list("order_number_format", flat=True))
    found = []
    for text in dict.fromkeys(str(f) for f in formats):
        try:
            found.append(compile_format(text))
        except UserFacingError:  # (saved before a rule tightened: skipped, never an error here)
            continue
    return found


def order_numbers_in(*texts: str, formats: Sequence[re.Pattern[str]] = ()) -> list[str]:
    """The order numbers in these texts (the platforms' formats and the tenant's `formats`), first
    seen first (the subject before the body), at most MAX_NUMBERS, without repeats."""
    patterns = [*formats, *(pattern for _, pattern in PATTERNS)]
    found: dict[str, int] = {}
    for text in texts:
        hits = [(m.start(), m.group(0)) for pattern in patterns for m in pattern.finditer(text or "")]
        for _, number in sorted(hits):
            found.setdefault(number, len(found))
            if len(found) >= MAX_NUMBERS:
                return list(found)
    return list(found)
