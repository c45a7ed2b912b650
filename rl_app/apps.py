from django.apps import AppConfig


class RlAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rl_app"
    verbose_name = "RL traces and webhooks"

    def ready(self) -> None:
        from rl_app import services
        from sessions_app import events

        events.STEP_TAKEN.subscribe(services.experience_step_on_session_step)
        events.SESSION_OPENING.subscribe(services.webhook_flag_on_session_opening)
        events.SESSION_SUMMARY.subscribe(services.reward_history_on_session_summary)
