from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    # Runs after every app's post_migrate (contrib.auth's, which creates the permissions, is
    # connected first), so the groups always match the current set of models.
    if sender.name != OperatorConsoleConfig.name:
        return
    from operator_console.services import roles_sync

    roles_sync(using=kwargs.get("using", "default"))


SITE_HEADER = "Agent Royale operations"


class OperatorConsoleConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "operator_console"
    verbose_name = "Operator console"

    def ready(self) -> None:
        from django.contrib import admin

        admin.site.site_header = SITE_HEADER
        admin.site.site_title = SITE_HEADER
        admin.site.index_title = "Operations"
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="operator_console.sync_roles")
