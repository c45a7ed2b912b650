from celery import shared_task

from sessions_app.services import sessions_recover


@shared_task
def recover_sessions_task() -> int:
    return sessions_recover()
