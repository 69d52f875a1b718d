"""The garbage collector tuned for a long-running server process, once start-up is over.

Start-up builds a large, permanent heap (the schema, modules, casbin models, catalogs, the language
detector's tables). CPython's full collections walk all of it again and again although none of it
ever becomes garbage: in bench/customer_page.py full collections were most of the p99 (from about
220 to 70 ms with `gc.freeze()`). Freezing moves what exists into a generation the collector never
scans; a larger young generation (700 allocations by default) makes a page of 100 customers, which
allocates hundreds of thousands of short-lived objects, trigger far fewer collections. Reference
counting still frees everything at once; only cycles wait a little longer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def settle_after_startup() -> None:
    """Collect once, freeze what survived, and raise the young generation's threshold."""
    gc.collect()
    gc.freeze()
    young, older, oldest = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), older, oldest)
