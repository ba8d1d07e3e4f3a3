"""A batch message: the events no flow handles end `ignored` together; those with a flow go out one by one."""

from __future__ import annotations

from workers import processing

CANCELED = "wix.bookings.v2.booking_canceled"


def test_a_batch_finishes_the_events_no_flow_handles_and_hands_back_those_with_a_flow(flow_runner) -> None:
    runner = flow_runner()
    unhandled = [runner.event("nobody.handles.this", entity_id=f"x{n}")[0] for n in range(3)]
    with_flow = [runner.event(CANCELED, entity_id=f"b{n}")[0] for n in range(2)]
    batch = [unhandled[0], with_flow[0], unhandled[1], unhandled[2], with_flow[1]]

    handed_back = processing.run_many(batch, runner.deps)
    again = processing.run_many(batch, runner.deps)  # the sweep or a redelivery sends it again

    assert handed_back == with_flow  # for their own messages, so parallel workers share them
    assert again == with_flow  # still not run: only their own claim runs them
    for event_id in unhandled:
        shown = runner.shown(event_id)
        assert (shown["status"], shown["status_reason"]) == ("ignored", "no flow for this event type")
        assert [a["outcome"] for a in shown["attempts"]] == ["ignored"]  # once, not again
    for event_id in with_flow:
        assert (runner.shown(event_id)["status"], runner.shown(event_id)["attempts"]) == ("received", [])


def test_a_batch_runs_its_first_event_with_a_flow_itself_and_hands_out_the_others(flow_runner) -> None:
    runner = flow_runner()
    unhandled = runner.event("nobody.handles.this", entity_id="x0")[0]
    with_flow = [runner.event(CANCELED, entity_id=f"b{n}")[0] for n in range(3)]
    handed_out: list[int] = []

    count = processing.run_batch([unhandled, *with_flow], runner.deps, handed_out.append)
    again = processing.run_batch([unhandled, *with_flow], runner.deps, handed_out.append)  # redelivered

    assert count == 3
    assert again == 2  # the one it ran is finished: a redelivery runs the next
    assert handed_out == with_flow[1:] + with_flow[2:]
    assert [len(runner.shown(e)["attempts"]) for e in with_flow] == [1, 1, 0]  # the last: its message
