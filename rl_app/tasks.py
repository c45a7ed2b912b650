from celery import shared_task

from rl_app import services  # the module, not names: services imports this module too
from rl_app.exceptions import WebhookDeliveryFailed

# Up to 7 attempts: retries after at most 5, 10, 20, 40, 80, 160 s (full jitter), so about 5 minutes in all.
MAX_RETRIES = 6


@shared_task(bind=True, autoretry_for=(WebhookDeliveryFailed,), retry_backoff=5, retry_backoff_max=600,
             retry_jitter=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver_webhook_task(self, delivery_id: int) -> str | None:
    delivery = services.webhook_delivery_attempt(delivery_id=delivery_id, final=self.request.retries >= MAX_RETRIES)
    return delivery.status if delivery is not None else None
