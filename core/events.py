"""Events whose handlers run inside the emitter's transaction, so a lower app can let a higher one add
to its writes without importing it (the layers: `.importlinter`).

The emitting app owns the event (`sessions_app.events.STEP_TAKEN`); a higher app subscribes in its
`AppConfig.ready()`. `emit` calls every handler synchronously, in subscription order, in the caller's
transaction: what a handler writes (directly or queued on the caller's `WriteBatch`) commits or rolls
back with the caller's own rows, and an exception from a handler propagates and rolls the action back.
Unlike Django signals there is no sender filtering and no weak references: a handler is a plain
function held for the life of the process, and `emit` is a loop over a tuple.
"""
from collections.abc import Callable
from typing import Generic, TypeVar

Payload = TypeVar("Payload")


class InTransactionEvent(Generic[Payload]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: tuple[Callable[[Payload], None], ...] = ()

    def subscribe(self, handler: Callable[[Payload], None]) -> None:
        """Add `handler` (once: a second subscription of the same function is ignored)."""
        if handler not in self._handlers:
            self._handlers = (*self._handlers, handler)

    def unsubscribe(self, handler: Callable[[Payload], None]) -> None:
        self._handlers = tuple(existing for existing in self._handlers if existing != handler)

    @property
    def handlers(self) -> tuple[Callable[[Payload], None], ...]:
        return self._handlers

    def emit(self, payload: Payload) -> None:
        """Call every handler with `payload`; call inside the transaction the handlers' writes belong to."""
        for handler in self._handlers:
            handler(payload)

    def __repr__(self) -> str:
        return f"InTransactionEvent({self.name!r}, handlers={len(self._handlers)})"
