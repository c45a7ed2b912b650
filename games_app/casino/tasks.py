"""Beat tasks (scheduled in settings.CELERY_BEAT_SCHEDULE). Thin: each calls one service."""
from celery import shared_task

from games_app.casino import metrics, services


@shared_task(name="games_app.casino.tasks.expire_stale_commits")
def expire_stale_commits() -> int:
    expired = services.commits_expire_stale()
    metrics.COMMITS_EXPIRED.inc(expired)
    return expired


@shared_task(name="games_app.casino.tasks.run_due_lotto_draws")
def run_due_lotto_draws() -> int:
    drawn = services.lotto_run_due_draws()
    metrics.LOTTO_DRAWS.inc(drawn)
    return drawn


@shared_task(name="games_app.casino.tasks.roll_up_game_stats")
def roll_up_game_stats() -> int:
    return services.game_stats_roll_up()
