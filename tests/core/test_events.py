"""core.events: handlers run synchronously, in order, once each; an error propagates to the emitter."""
import pytest

from core.events import InTransactionEvent


def test_emit_calls_each_handler_once_in_subscription_order():
    event: InTransactionEvent[int] = InTransactionEvent("test")
    calls = []

    def first(payload: int) -> None:
        calls.append(("first", payload))

    def second(payload: int) -> None:
        calls.append(("second", payload))

    event.subscribe(first)
    event.subscribe(second)
    event.subscribe(first)  # a second subscription (ready() run twice) is ignored
    event.emit(7)
    assert calls == [("first", 7), ("second", 7)]
    event.unsubscribe(first)
    event.emit(8)
    assert calls[-1] == ("second", 8) and len(calls) == 3


def test_a_handler_error_reaches_the_emitter_and_stops_later_handlers():
    event: InTransactionEvent[str] = InTransactionEvent("test")
    later = []

    def failing(payload: str) -> None:
        raise RuntimeError(payload)

    event.subscribe(failing)
    event.subscribe(later.append)
    with pytest.raises(RuntimeError, match="boom"):
        event.emit("boom")
    assert later == []
