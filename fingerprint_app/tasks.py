from celery import shared_task
from django.conf import settings

from fingerprint_app import services  # the module, not names: services imports this module too


@shared_task(acks_late=True)
def run_campaign_task(campaign_id: int) -> dict:
    """Run one chunk of a campaign and re-enqueue itself while there is more to do.

    In eager mode (tests, embedded runs) re-enqueueing would recurse once per chunk, so the
    chunks run in a bounded loop instead. A worker killed mid-chunk loses only uncommitted work;
    ``acks_late`` makes the broker hand the message to another worker, which resumes at
    ``spins_done``."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        result = services.campaign_run(campaign_id=campaign_id)
    else:
        result = services.campaign_run_chunk(campaign_id=campaign_id)
        if result.more:
            run_campaign_task.apply_async(args=[campaign_id])
    return {"campaign_id": campaign_id, "status": result.status, "spins_done": result.spins_done}
