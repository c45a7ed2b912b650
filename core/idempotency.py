"""Idempotency-Key for POSTs under /api/, with Stripe's semantics.

- The key (1-255 printable ASCII chars) is scoped to the token.
- The first request's status and body are stored in the same transaction as its effects.
- A repeat with the same body replays the stored bytes with `Idempotent-Replayed: true`;
  the same key with another body is 422 IDEMPOTENCY_KEY_REUSED.
- A repeat that arrives while the first still runs is 409 IDEMPOTENCY_KEY_IN_USE: a PostgreSQL
  advisory lock answers that at once; the unique (token, key) row is the
  real guard: a racing duplicate blocks on the first transaction's uncommitted row and then fails,
  so it can never commit effects.
- 5xx answers are not stored, so a retry after a fault runs again.
"""
import functools
import hashlib
import re

from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse

from core import metrics
from core.exceptions import IdempotencyKeyInUse, IdempotencyKeyInvalid, IdempotencyKeyReused
from core.models import IdempotencyRecord
from core.permissions import token_of

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
_VALID_KEY = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,254}$")


def request_fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.path.encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(details={"idempotency_key": record.key})
    metrics.IDEMPOTENT_REPLAYS.inc()
    response = HttpResponse(bytes(record.response_body), status=record.response_status,
                            content_type=record.response_content_type)
    response[REPLAY_HEADER] = "true"
    return response


def _render(view, request, response, args, kwargs):
    response = view.finalize_response(request, response, *args, **kwargs)
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    return response


class _KeyLock:
    """Who is executing a key right now: a transaction-scoped PostgreSQL advisory lock. It is
    released with the transaction, also when the worker holding it dies, so a retry never waits for a
    timeout."""

    def __init__(self, *, token_id: int, key: str):
        digest = hashlib.sha256(f"{token_id}:{key}".encode()).digest()
        self.lock_id = int.from_bytes(digest[:8], "big", signed=True)

    def acquire(self) -> bool:
        """Call inside the transaction that stores the key."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [self.lock_id])
            return bool(cursor.fetchone()[0])


def idempotent(handler):
    """Decorate an APIView's `post` so it honours Idempotency-Key."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        token = token_of(request)
        if key is None or token is None:
            return handler(view, request, *args, **kwargs)
        if not _VALID_KEY.match(key):
            raise IdempotencyKeyInvalid(details={"header": HEADER})
        fingerprint = request_fingerprint(request._request)

        record = IdempotencyRecord.objects.filter(token=token, key=key).first()
        if record is not None:
            return _replay(record, fingerprint)

        lock = _KeyLock(token_id=token.pk, key=key)
        try:
            with transaction.atomic():
                if not lock.acquire():
                    record = IdempotencyRecord.objects.filter(token=token, key=key).first()
                    if record is not None:
                        return _replay(record, fingerprint)
                    raise IdempotencyKeyInUse(details={"idempotency_key": key})
                # A twin may have committed between the first lookup and the lock.
                record = IdempotencyRecord.objects.filter(token=token, key=key).first()
                if record is not None:
                    return _replay(record, fingerprint)
                try:
                    with transaction.atomic():
                        response = handler(view, request, *args, **kwargs)
                except Exception as exc:  # the savepoint rolled back the handler's effects
                    response = view.handle_exception(exc)
                response = _render(view, request, response, args, kwargs)
                if response.status_code < 500:
                    IdempotencyRecord.objects.create(
                        token=token, key=key, request_fingerprint=fingerprint,
                        response_status=response.status_code, response_body=response.content,
                        response_content_type=response.get("Content-Type", "application/json"))
                return response
        except IntegrityError:
            # Another process stored this key first (only possible if the lock was lost).
            record = IdempotencyRecord.objects.filter(token=token, key=key).first()
            if record is None:
                raise
            return _replay(record, fingerprint)

    return wrapper
