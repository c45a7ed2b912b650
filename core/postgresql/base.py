"""The PostgreSQL backend: django_prometheus' (query metrics) with a health check that a busy connection skips.

Django's CONN_HEALTH_CHECKS sends `SELECT 1` before the first query of EVERY request that reuses a
connection: one of the seven statements of a spin. A connection that ran a query less than
settings.DB_HEALTH_CHECK_IDLE_SECONDS ago was alive then, so this backend checks only connections
idle for longer — those a Postgres restart, a failover or an idle timeout (pgbouncer, a firewall) most
likely killed while nothing used them. The trade-off: a connection that dies within that window fails
the one request that next uses it (Django then discards it, as after any connection error), instead of
being replaced before that request. Set the setting to 0 to check before every request again.
"""
import time

from django.conf import settings
from django_prometheus.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    last_used_at = float("-inf")  # time.monotonic() of the connect or the last cursor handed out

    def connect(self):
        super().connect()
        self.last_used_at = time.monotonic()

    def close_if_health_check_failed(self):
        if (self.connection is not None and self.health_check_enabled and not self.health_check_done
                and time.monotonic() - self.last_used_at < settings.DB_HEALTH_CHECK_IDLE_SECONDS):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _cursor(self, name=None):
        cursor = super()._cursor(name)
        self.last_used_at = time.monotonic()
        return cursor
