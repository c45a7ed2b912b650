from pathlib import Path

import psycopg

from casino_project.embedded_db.server import Cluster, ensure_running
from core.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except psycopg.OperationalError:
            # Not started yet, stopped since, or its database not created yet (NAME is None for the
            # server-level connections Django opens to create test databases): start, create, retry
            # once. Any other failure repeats and propagates.
            ensure_running(Cluster(Path(self.settings_dict["HOST"])), database=self.settings_dict["NAME"] or None)
            return super().get_new_connection(conn_params)
