from django.core.management.base import BaseCommand

from sessions_app.services import sessions_recover


class Command(BaseCommand):
    help = "Complete every session a crash left in `evaluating`."

    def handle(self, *args, **options):
        self.stdout.write(f"Recovered {sessions_recover()} session(s).")
