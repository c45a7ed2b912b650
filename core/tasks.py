from celery import shared_task
from django.conf import settings

from core.services import idempotency_records_purge


@shared_task
def purge_expired_idempotency_keys() -> int:
    return idempotency_records_purge(ttl=settings.IDEMPOTENCY_KEY_TTL)
