from decimal import Decimal

from django.apps import AppConfig

DEMO_AGENT_USERNAME = "demo-agent"
DEMO_AGENT_FUNDS = Decimal("100")
HOUSE_FUNDS = Decimal("1000")
SEED_REFERENCE = "seed:demo"


class WalletAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wallet_app"
    verbose_name = "Wallets"

    def seed_demo_data(self, stdout) -> None:
        """demo-agent gets a 100 ETH wallet and the house a 1000 ETH bankroll (in
        WALLET_DEFAULT_CURRENCY, ETH by default). Safe to re-run: a wallet is funded only once."""
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import transaction

        from wallet_app import services
        from wallet_app.locks import lock_wallet
        from wallet_app.models import LedgerEntry, Wallet

        currency = settings.WALLET_DEFAULT_CURRENCY.upper()
        with transaction.atomic():
            agent, _ = get_user_model().objects.get_or_create(username=DEMO_AGENT_USERNAME)
            agent_wallet = (Wallet.objects.filter(owner=agent, currency=currency).first()
                            or services.wallet_create(owner=agent, currency=currency))
            for wallet, amount in ((agent_wallet, DEMO_AGENT_FUNDS), (services.house_wallet(), HOUSE_FUNDS)):
                lock_wallet(wallet_id=wallet.pk)  # two concurrent seeds must not both fund it
                if LedgerEntry.objects.filter(wallet_id=wallet.pk, reference=SEED_REFERENCE).exists():
                    continue
                services.deposit(wallet_id=wallet.pk, amount=amount, reference=SEED_REFERENCE)
                stdout.write(f"Funded wallet {wallet.pk} ({wallet.owner.username}) with {amount} {currency}.")
