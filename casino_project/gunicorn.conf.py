"""gunicorn settings; every value can be overridden on the command line or by the env vars below.

    gunicorn casino_project.wsgi:application -c casino_project/gunicorn.conf.py
    GUNICORN_CERTFILE=certs/server.crt GUNICORN_KEYFILE=certs/server.key gunicorn ... -c casino_project/gunicorn.conf.py

The app keeps no state in process memory, so workers may die at any time (the master starts a
new one) and any number of instances can share one Postgres and one Redis.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Load the app once in the master: a worker killed by the OS or by a deploy is replaced by a fork
# in milliseconds instead of a fresh Django import. Django opens no connection at import time.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes", "on"}
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "15"))
# Django writes one JSON access line per request itself (core.middleware.AccessLogMiddleware).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Trust X-Forwarded-Proto only from a local TLS-terminating proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# TLS served by gunicorn itself (a load balancer may terminate TLS instead).
certfile = os.environ.get("GUNICORN_CERTFILE") or None
keyfile = os.environ.get("GUNICORN_KEYFILE") or None
