"""Hooks deliveries onto recorded steps without sessions_app knowing: a step that commits (with its action)
schedules its webhook events; a step rolled back with a failed action never does."""
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from rl_app.models import ExperienceStep


@receiver(post_save, sender=ExperienceStep, dispatch_uid="rl_app.step_webhooks")
def schedule_step_webhooks(sender, instance: ExperienceStep, created: bool, **kwargs) -> None:
    if created:
        # robust: a webhook bookkeeping error must never turn a committed action into an error response.
        step_id, owner_id = instance.pk, instance.session.owner_id
        transaction.on_commit(lambda: _dispatch(step_id, owner_id), robust=True)


def _dispatch(step_id: int, owner_id: int) -> None:
    from rl_app.services import webhook_deliveries_create_for_step

    webhook_deliveries_create_for_step(step_id=step_id, owner_id=owner_id)
