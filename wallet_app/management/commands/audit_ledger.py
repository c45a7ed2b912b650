import sys

from django.core.management.base import BaseCommand

from wallet_app.services import ledger_audit_run


class Command(BaseCommand):
    help = ("Check every wallet: balance == sum of its ledger entries, every balance_after chains, "
            "the daily spend counter matches the ledger. Exits 1 on any mismatch.")

    def handle(self, *args, **options):
        audit = ledger_audit_run()
        for mismatch in audit.mismatches:
            self.stderr.write("MISMATCH " + " ".join(f"{key}={value}" for key, value in mismatch.items()))
        if audit.mismatch_count > len(audit.mismatches):
            self.stderr.write(f"... and {audit.mismatch_count - len(audit.mismatches)} more")
        summary = (f"Audited {audit.wallets_checked} wallet(s), {audit.entries_checked} ledger entries: "
                   f"{audit.mismatch_count} mismatch(es).")
        if audit.ok:
            self.stdout.write(self.style.SUCCESS(summary + " OK"))
            return
        self.stderr.write(self.style.ERROR(summary))
        sys.exit(1)
