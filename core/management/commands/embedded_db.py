from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casino_project.embedded_db.server import Cluster, EmbeddedPostgresError, ensure_running, running_pid, stop


class Command(BaseCommand):
    help = ("The embedded PostgreSQL used when DATABASE_URL is unset: status, start (also creates the "
            "configured database) or stop. Any command that needs the database starts it by itself.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "start", "stop"])

    def handle(self, *args, action, **options):
        if settings.DATABASE_URL:
            raise CommandError("DATABASE_URL is set: this process uses that server, not the embedded one")
        cluster = Cluster(Path(settings.EMBEDDED_POSTGRES_DIR))
        try:
            if action == "start":
                started = ensure_running(cluster, database=settings.DATABASES["default"]["NAME"])
                self.stdout.write(f"{'started' if started else 'already running'}: {cluster.data_dir}")
            elif action == "stop":
                self.stdout.write(f"{'stopped' if stop(cluster) else 'not running'}: {cluster.data_dir}")
            else:
                pid = running_pid(cluster)
                self.stdout.write(f"running (pid {pid}): {cluster.data_dir}" if pid else f"not running: {cluster.data_dir}")
        except EmbeddedPostgresError as exc:
            raise CommandError(str(exc)) from exc
