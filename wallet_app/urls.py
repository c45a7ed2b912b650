from core.urls import api_path
from wallet_app.apis import WalletDetailApi, WalletLedgerApi, WalletOperationsApi, WalletsApi

WALLET_ID = r"(?P<wallet_id>[0-9]{1,18})"

urlpatterns = [
    api_path("wallets", WalletsApi.as_view(), "wallets"),
    api_path(rf"wallets/{WALLET_ID}", WalletDetailApi.as_view(), "wallet-detail"),
    api_path(rf"wallets/{WALLET_ID}/operations", WalletOperationsApi.as_view(), "wallet-operations"),
    api_path(rf"wallets/{WALLET_ID}/ledger", WalletLedgerApi.as_view(), "wallet-ledger"),
]
