from prometheus_client import Gauge

from core.metrics import counter

REJECTIONS = counter("royale_wallet_rejections_total", "Wallet operations refused, by error code", ("code",))
AUDIT_MISMATCHES = Gauge("royale_wallet_audit_mismatches", "Mismatches found by the last ledger audit")
