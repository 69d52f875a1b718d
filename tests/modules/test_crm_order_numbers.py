"""Order numbers recognised in free text, per platform format, and what is not one."""

from __future__ import annotations

from modules.crm.services import order_numbers_in
from modules.crm.services.order_numbers import MAX_NUMBERS


def test_each_platforms_format_is_found_in_the_order_it_appears() -> None:
    text = "eBay 12-34567-89012, then Amazon 302-1234567-7654321 and my shop order #1001."
    assert order_numbers_in("Re: #2002", text) == ["#2002", "12-34567-89012", "302-1234567-7654321", "#1001"]


def test_lookalikes_are_not_order_numbers() -> None:
    assert order_numbers_in("call +49 30-12345-67890-1", "&#1234; is an entity", "item#1001", "#12",
                            "4711", "1302-1234567-7654321") == []


def test_repeats_count_once_and_a_list_is_cut() -> None:
    assert order_numbers_in("#1001", "#1001 again") == ["#1001"]
    assert len(order_numbers_in(" ".join(f"#{1000 + i}" for i in range(30)))) == MAX_NUMBERS


def test_a_tenants_format_finds_its_numbers_and_nothing_around_them() -> None:
    from modules.crm.services.order_numbers import compile_format

    so, invoice = compile_format("SO-{6}"), compile_format("INV/{4}/{5-7}")
    text = "SO-123456, not SO-12345 nor XSO-123456 nor SO-1234567; INV/2026/123456."
    assert order_numbers_in(text, formats=[so, invoice]) == ["SO-123456", "INV/2026/123456"]
    assert order_numbers_in("(a+)+$" * 3, formats=[compile_format("(a+)+{3}")]) == []  # literal, never a regex


def test_what_is_no_format_is_refused() -> None:
    import pytest

    from core.errors import UserFacingError
    from modules.crm.services.order_numbers import compile_format

    for bad in ("", "SO-", "SO-{0}", "SO-{2}", "SO {6}", "SO-{6", "SO-{6}}", "x" * 41, "{21}", "{5-3}"):
        with pytest.raises(UserFacingError):
            compile_format(bad)
