from decimal import Decimal

from django.apps import AppConfig

DEMO_AGENT_USERNAME = "demo-agent"
DEMO_AGENT_FUNDS = Decimal("100")
DEMO_OPERATOR_USERNAME = "demo-operator"  # its wallet pays for probing campaigns (fees, if configured)
DEMO_OPERATOR_FUNDS = Decimal("10")
HOUSE_FUNDS = Decimal("1000")
SEED_REFERENCE = "seed:demo"


class WalletAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wallet_app"
    verbose_name = "Wallets"

    def seed_demo_data(self, stdout) -> None:
        """demo-agent gets a 100 ETH wallet, demo-operator 10 ETH and the house a 1000 ETH bankroll (in
        WALLET_DEFAULT_CURRENCY, ETH by default). Safe to re-run: a wallet is funded only once."""
        from django.conf import settings
        from django.db import transaction

        from wallet_app import services
        from wallet_app.locks import lock_wallet
        from wallet_app.models import LedgerEntry

        currency = settings.WALLET_DEFAULT_CURRENCY.upper()
        with transaction.atomic():
            funded = [(self._demo_wallet(username, currency), amount) for username, amount in (
                (DEMO_AGENT_USERNAME, DEMO_AGENT_FUNDS), (DEMO_OPERATOR_USERNAME, DEMO_OPERATOR_FUNDS))]
            for wallet, amount in (*funded, (services.house_wallet(), HOUSE_FUNDS)):
                lock_wallet(wallet_id=wallet.pk)  # two concurrent seeds must not both fund it
                if LedgerEntry.objects.filter(wallet_id=wallet.pk, reference=SEED_REFERENCE).exists():
                    continue
                services.deposit(wallet_id=wallet.pk, amount=amount, reference=SEED_REFERENCE)
                stdout.write(f"Funded wallet {wallet.pk} ({wallet.owner.username}) with {amount} {currency}.")

    @staticmethod
    def _demo_wallet(username: str, currency: str):
        from django.contrib.auth import get_user_model

        from wallet_app import services
        from wallet_app.models import Wallet

        owner, _ = get_user_model().objects.get_or_create(username=username)
        return (Wallet.objects.filter(owner=owner, currency=currency).order_by("pk").first()
                or services.wallet_create(owner=owner, currency=currency))
