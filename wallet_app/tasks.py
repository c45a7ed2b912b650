import logging

from celery import shared_task

from wallet_app.services import ledger_audit_run

logger = logging.getLogger("wallet_app.audit")


@shared_task
def audit_ledger_task() -> dict:
    """Hourly (CELERY_BEAT_SCHEDULE): audit every wallet against its ledger."""
    audit = ledger_audit_run()
    summary = {"audit_id": audit.pk, "wallets_checked": audit.wallets_checked,
               "entries_checked": audit.entries_checked, "mismatch_count": audit.mismatch_count}
    if audit.ok:
        logger.info("ledger audit passed", extra=summary)
    else:
        logger.error("ledger audit found %d mismatch(es): %s", audit.mismatch_count, audit.mismatches[:10],
                     extra=summary)
    return summary
