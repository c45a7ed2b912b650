from django.apps import AppConfig


class WalletAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wallet_app"
    verbose_name = "Wallets"

    def seed_demo_data(self, stdout) -> None:
        # apps.py loads while the app registry is being built, before models may be imported: on use.
        from wallet_app.services import demo_wallets_seed

        demo_wallets_seed(write=stdout.write)
