"""The SLA clock rules as a pure function (services.sla.advance), on fixed dates in Berlin office
hours (Mon-Fri 09:00-18:00, German holidays): start, reply, pause and resume, stop and reopen,
retargeting on a priority change."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from modules.aftersales.services.business_hours import Calendar
from modules.aftersales.services.sla.clocks import ClockEvent, Clocks, Targets, TicketState, advance, next_due

CAL = Calendar.build("Europe/Berlin", {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}, "DE")
STANDARD = Targets(first_response=60, next_response=30, resolution=480)
STRICT = Targets(first_response=15, next_response=15, resolution=120)
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2026 in Berlin (2 March is a Monday), as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)


def state(status: str = "open", replied: datetime | None = None) -> TicketState:
    return TicketState(status, MONDAY_10, replied)


def step(clocks: Clocks, event: ClockEvent, now: datetime, ticket: TicketState | None = None,
         old: Targets | None = STANDARD, new: Targets | None = STANDARD) -> Clocks:
    return advance(clocks, event, ticket or state(), old, new, CAL, now)


def test_creation_starts_first_response_and_resolution_in_business_time() -> None:
    clocks = step(Clocks(), "created", MONDAY_10, state("new"), None)
    assert clocks == Clocks(first_response_due=at(2, 11), resolution_due=at(2, 18))
    assert next_due(clocks, "new") == at(2, 11)
    friday = step(Clocks(), "created", at(6, 17, 30), state("new"), None)
    assert friday.first_response_due == at(9, 9, 30) and friday.resolution_due == at(9, 16, 30)
    assert step(Clocks(), "created", MONDAY_10, state("new"), None, None) == Clocks()  # no policy matched
    waiting = step(Clocks(), "created", MONDAY_10, state("pending_customer"), None)
    assert waiting.paused_at == MONDAY_10 and next_due(waiting, "pending_customer") is None


def test_replies_stop_and_start_the_response_clocks() -> None:
    clocks = step(Clocks(), "created", MONDAY_10, state("new"), None)
    assert step(clocks, "customer_replied", at(2, 10, 20)) == clocks  # the first response is still awaited
    replied = step(clocks, "replied", at(2, 10, 30), state(replied=at(2, 10, 30)))
    assert replied.first_response_due is None and next_due(replied, "open") == at(2, 18)
    asked = step(replied, "customer_replied", at(2, 17, 50), state(replied=at(2, 10, 30)))
    assert asked.next_response_due == at(3, 9, 20) and next_due(asked, "open") == at(2, 18)
    again = step(asked, "customer_replied", at(3, 9, 0), state(replied=at(2, 10, 30)))
    assert again.next_response_due == at(3, 9, 20)  # the clock runs from the first unanswered message
    assert step(again, "replied", at(3, 9, 10)).next_response_due is None


def test_waiting_on_the_customer_pauses_and_resuming_pushes_by_business_time_paused() -> None:
    clocks = Clocks(first_response_due=None, next_response_due=at(6, 17, 45), resolution_due=at(6, 17, 30))
    paused = step(clocks, "status_changed", at(6, 17, 0), state("pending_customer"))
    assert paused.paused_at == at(6, 17, 0) and next_due(paused, "pending_customer") is None
    # Paused Friday 17:00 to Monday 10:00 is 60 business minutes (17-18 and 9-10).
    resumed = step(paused, "status_changed", at(9, 10, 0), state("open"))
    assert resumed == Clocks(next_response_due=at(9, 10, 45), resolution_due=at(9, 10, 30))
    assert next_due(resumed, "open") == at(9, 10, 30)
    # A customer reply while paused counts from the pause, so resuming does not count the pause twice.
    replied = step(Clocks(resolution_due=at(6, 17, 30), paused_at=at(6, 17)), "customer_replied", at(9, 9, 30),
                   state("pending_customer", replied=at(5, 12)))
    assert replied.next_response_due == at(6, 17, 30)
    assert step(replied, "status_changed", at(9, 10), state("open")).next_response_due == at(9, 10, 30)


def test_resolving_stops_the_clocks_and_reopening_resumes_the_resolution_clock() -> None:
    clocks = step(Clocks(), "created", MONDAY_10, state("new"), None)
    resolved = step(clocks, "status_changed", at(2, 12), state("resolved"))
    assert resolved == Clocks(resolution_due=at(2, 18), paused_at=at(2, 12))
    assert next_due(resolved, "resolved") is None
    closed = step(resolved, "status_changed", at(3, 9), state("closed"))
    assert closed.paused_at == at(2, 12)  # still counted from the resolution
    reopened = step(closed, "status_changed", at(3, 12), state("open"))  # 9 business hours later
    assert reopened == Clocks(resolution_due=at(3, 18)) and next_due(reopened, "open") == at(3, 18)


def test_a_priority_change_keeps_the_business_time_already_used() -> None:
    clocks = step(Clocks(), "created", MONDAY_10, state("new"), None)
    # At 10:50, 50 minutes used: the strict 120 minutes resolution leaves 70 more, and the strict
    # 15 minutes first response was due at 10:15 (a breach now).
    stricter = step(clocks, "priority_changed", at(2, 10, 50), old=STANDARD, new=STRICT)
    assert stricter.resolution_due == at(2, 12) and stricter.first_response_due == at(2, 10, 15)
    # Back to the standard targets: the running resolution clock moves, the breached deadline stays.
    looser = step(stricter, "priority_changed", at(2, 11), old=STRICT, new=STANDARD)
    assert looser.resolution_due == at(2, 18) and looser.first_response_due == at(2, 10, 15)
    monday = step(Clocks(resolution_due=at(9, 9, 30)), "priority_changed", at(9, 9, 10), old=STANDARD, new=STRICT)
    assert monday.resolution_due == at(6, 12, 30)  # 20 left - 360: 10 on Monday, 330 back from Friday 18:00
    same = step(clocks, "priority_changed", at(2, 11), old=STANDARD, new=STANDARD)
    assert same == clocks
    overdue = Clocks(resolution_due=at(2, 9, 30))
    assert step(overdue, "priority_changed", at(2, 12), old=STANDARD, new=STRICT).resolution_due == at(2, 9, 30)
    dropped = step(clocks, "priority_changed", at(2, 11), old=STANDARD, new=None)
    assert dropped == Clocks() and next_due(dropped, "open") is None


def test_a_ticket_that_had_no_policy_starts_its_clocks_from_creation() -> None:
    started = step(Clocks(), "team_changed", at(2, 11), state("open"), old=None, new=STANDARD)
    assert started == Clocks(first_response_due=at(2, 11), resolution_due=at(2, 18))
    answered = step(Clocks(), "priority_changed", at(2, 11), state("open", replied=at(2, 10, 5)), None, STANDARD)
    assert answered == Clocks(resolution_due=at(2, 18))
