"""The per-schedule hold that keeps one pause or resume of a host's links at a time, on both stores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from processor.store.db import Sessions, utcnow
from processor.store.ledger import LedgerBusyError
from processor.store.models import LedgerEntry
from processor.store.paused_links import holding_link_switch

LEASE = timedelta(minutes=10)


def test_a_second_holder_of_the_same_schedule_gives_up_as_busy(sessions: Sessions) -> None:
    with holding_link_switch(sessions, "schedule-1", lease=LEASE):
        with (
            pytest.raises(LedgerBusyError),
            holding_link_switch(sessions, "schedule-1", lease=LEASE, wait_seconds=0.2),
        ):
            pass
        with holding_link_switch(sessions, "schedule-2", lease=LEASE, wait_seconds=0):
            other_schedule_held = True

    assert other_schedule_held


def test_the_hold_is_released_when_the_holder_raises(sessions: Sessions) -> None:
    with pytest.raises(RuntimeError), holding_link_switch(sessions, "schedule-1", lease=LEASE):
        raise RuntimeError("Wix answered 500")

    with holding_link_switch(sessions, "schedule-1", lease=LEASE, wait_seconds=0):
        held_again = True

    assert held_again


def test_a_hold_left_by_a_dead_worker_is_taken_over_after_the_lease(sessions: Sessions) -> None:
    dead = holding_link_switch(sessions, "schedule-1", lease=LEASE)
    dead.__enter__()  # a worker that died holding it: never released
    with sessions() as session, session.begin():
        session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.key == "hold:links:schedule-1")
            .values(created_at=utcnow() - LEASE - timedelta(seconds=1))
        )

    with holding_link_switch(sessions, "schedule-1", lease=LEASE, wait_seconds=0):
        taken_over = True

    assert taken_over
