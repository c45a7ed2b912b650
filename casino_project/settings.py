"""The one settings module. Every knob comes from an environment variable with a safe default.

`DJANGO_ENV=production` switches on the HTTPS-only hardening and refuses the default secret key.
"""
import ipaddress
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
if PRODUCTION and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")

DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,testserver,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from here: the docs work offline
    "django_prometheus",
    "core",
    "wallet_app",
    "games_app",
    "games_app.casino",
    "sessions_app",
    "fingerprint_app",
    "rl_app",
    "operator_console",
]

MIDDLEWARE = [
    "core.tracing.TracingMiddleware",  # first, so a sampled request's span covers everything below
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.AccessLogMiddleware",
    "core.middleware.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ApiErrorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "casino_project.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "casino_project.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
DB_CONN_MAX_AGE = int(os.environ.get("DB_CONN_MAX_AGE", "60"))
# Without DATABASE_URL: the project's own PostgreSQL (casino_project/embedded_db), a data directory
# started on first use and reused; its Unix socket is in that directory. PostgreSQL only, always.
EMBEDDED_POSTGRES_DIR = Path(os.environ.get("EMBEDDED_POSTGRES_DIR", BASE_DIR / ".data" / "pg")).resolve()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL URL (postgres://...); unset it to use "
                                   "the embedded PostgreSQL")
    DATABASES["default"]["ENGINE"] = "core.postgresql"  # django_prometheus' backend, health check only when idle
else:
    DATABASES = {"default": {"ENGINE": "casino_project.embedded_db", "HOST": str(EMBEDDED_POSTGRES_DIR), "PORT": "5432",
                             "NAME": os.environ.get("EMBEDDED_POSTGRES_DB", "agent_royale"), "USER": "postgres",
                             "PASSWORD": "", "CONN_MAX_AGE": DB_CONN_MAX_AGE}}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parameters go to PostgreSQL apart from the SQL (server-side binding), and a statement a connection has run
# DB_PREPARE_THRESHOLD times is prepared: PostgreSQL stops parsing and planning the hot path's few statements
# on every request (about half its CPU per spin, bench/RESULTS.md). A pooler in transaction mode that cannot
# keep prepared statements (PgBouncer before 1.21, or without max_prepared_statements) needs it off: set
# DB_PREPARE_THRESHOLD to an empty string.
DB_PREPARE_THRESHOLD = os.environ.get("DB_PREPARE_THRESHOLD", "5").strip()
DATABASES["default"].setdefault("OPTIONS", {}).update(
    {"server_side_binding": True, "prepare_threshold": int(DB_PREPARE_THRESHOLD) if DB_PREPARE_THRESHOLD else None})
# ... and only on a connection idle longer than this: a busy one skips the per-request SELECT 1 (core/postgresql).
DB_HEALTH_CHECK_IDLE_SECONDS = float(os.environ.get("DB_HEALTH_CHECK_IDLE_SECONDS", "5"))

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "agent-royale"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Security: HTTPS only in production -------------------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^health"]
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# --- DRF and OpenAPI ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsAuthenticatedToken"],
    "DEFAULT_THROTTLE_CLASSES": ["core.ratelimit.TokenRateThrottle"],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "ALLOWED_VERSIONS": ["v1", "v2"],
    "DEFAULT_VERSION": "v1",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "core.exception_handler.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": None,
}

API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", not PRODUCTION)
SPECTACULAR_SETTINGS = {
    "TITLE": "Agent Royale API",
    "DESCRIPTION": "Sessions, wallets, slot engines, fingerprinting and RL traces for autonomous agents.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"RoleEnum": "core.models.Role", "SessionStateEnum": "sessions_app.models.SessionState"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.add_error_responses_and_headers",
    ],
    # API_DOCS_PUBLIC off: the schema and the docs page need a valid API token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny" if API_DOCS_PUBLIC
                          else "core.permissions.IsAuthenticatedToken"],
}

# --- Rate limits (django-ratelimit on the shared cache) ----------------------------------------
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
RATELIMIT_USE_CACHE = "default"
DEFAULT_TOKEN_RATE_LIMIT = os.environ.get("DEFAULT_TOKEN_RATE_LIMIT", "600/m")
ANON_RATE_LIMIT = os.environ.get("ANON_RATE_LIMIT", "60/m")
SILENCED_SYSTEM_CHECKS = [] if REDIS_URL else ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Input limits (SECURITY.md "Input limits") ------------------------------------------------
# Request bodies above these sizes are refused with 413 REQUEST_TOO_LARGE before they are read.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024)))
# A v2 batch: SESSION_BATCH_MAX_ACTIONS actions of up to 512 bytes each.
API_MAX_BATCH_BODY_BYTES = int(os.environ.get("API_MAX_BATCH_BODY_BYTES", str(512 * 1024)))
API_MAX_JSON_DEPTH = int(os.environ.get("API_MAX_JSON_DEPTH", "32"))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES  # forms (admin): the same limit
# v2 batches: at most this many actions, and a batch still running after the deadline is rolled back
# and answered 503 BATCH_DEADLINE_EXCEEDED. Keep the deadline well below the gunicorn worker timeout
# (GUNICORN_TIMEOUT, 30 s): the commit, the summary and the response come after it.
SESSION_BATCH_MAX_ACTIONS = int(os.environ.get("SESSION_BATCH_MAX_ACTIONS", "1000"))
SESSION_BATCH_DEADLINE_SECONDS = float(os.environ.get("SESSION_BATCH_DEADLINE_SECONDS", "15"))

# --- Idempotency -------------------------------------------------------------------------------
IDEMPOTENCY_KEY_TTL = timedelta(hours=int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24")))

# --- Wallet ------------------------------------------------------------------------------------
WALLET_DAY_TIMEZONE = os.environ.get("WALLET_DAY_TIMEZONE", "UTC")
WALLET_DEFAULT_CURRENCY = os.environ.get("WALLET_DEFAULT_CURRENCY", "ETH")
WALLET_DEFAULT_COST_PER_SPIN = os.environ.get("WALLET_DEFAULT_COST_PER_SPIN", "0")
WALLET_DEFAULT_COST_PER_QUERY = os.environ.get("WALLET_DEFAULT_COST_PER_QUERY", "0")

# --- A2A casino --------------------------------------------------------------------------------
A2A_ALLOW_ANONYMOUS = env_bool("A2A_ALLOW_ANONYMOUS", not PRODUCTION)
A2A_LOTTO_DRAW_INTERVAL_SECONDS = int(os.environ.get("A2A_LOTTO_DRAW_INTERVAL_SECONDS", str(6 * 60 * 60)))
A2A_COMMIT_TTL_SECONDS = int(os.environ.get("A2A_COMMIT_TTL_SECONDS", "300"))
A2A_ANONYMOUS_CHANNELS_PER_IP = int(os.environ.get("A2A_ANONYMOUS_CHANNELS_PER_IP", "20"))
# House exposure (issue 15): casinoDeposit <= ratio x agentDeposit on every channel, and one owner's open
# funded channels hold at most this share of the bankroll (house wallet + house money in open channels).
A2A_MAX_CASINO_DEPOSIT_RATIO = Decimal(os.environ.get("A2A_MAX_CASINO_DEPOSIT_RATIO", "10"))
A2A_MAX_OWNER_BANKROLL_SHARE = Decimal(os.environ.get("A2A_MAX_OWNER_BANKROLL_SHARE", "0.1"))
# A signed open_channel's signedAt (ms) must be this close to the server clock (issue 15 item 6).
A2A_SIGNATURE_MAX_SKEW_SECONDS = int(os.environ.get("A2A_SIGNATURE_MAX_SKEW_SECONDS", "300"))
# Anonymous A2A play, per client IP and per channel address: one SDK session plays a round (commit +
# reveal) in two requests, so 300/m lets it run 150 rounds a minute, faster than the reference SDK over
# the internet; 600/m per IP leaves room for two such sessions behind one address.
A2A_ANON_IP_RATE_LIMIT = os.environ.get("A2A_ANON_IP_RATE_LIMIT", "600/m")
A2A_ANON_CHANNEL_RATE_LIMIT = os.environ.get("A2A_ANON_CHANNEL_RATE_LIMIT", "300/m")
HOUSE_BANKROLL_USERNAME = os.environ.get("HOUSE_BANKROLL_USERNAME", "house")

# --- Outbound requests and abuse limits (SECURITY.md) ------------------------------------------
# Webhooks and campaign remote engines go only to public addresses (core.outbound); these lift the
# address check for development and tests against local servers. Never set them in production.
RL_WEBHOOKS_ALLOW_PRIVATE = env_bool("RL_WEBHOOKS_ALLOW_PRIVATE", False)
REMOTE_ENGINE_ALLOW_PRIVATE = env_bool("REMOTE_ENGINE_ALLOW_PRIVATE", False)
# The reference engine (/engines/{slug}/spin) needs a token and has its own per-token budget. Scripted
# draws ({"draws": [...]}, forced outcomes for targeted probes) read the reel strips out, so they are
# off unless enabled, and then for operator tokens only.
REMOTE_ENGINE_SCRIPTED_DRAWS = env_bool("REMOTE_ENGINE_SCRIPTED_DRAWS", False)
REMOTE_ENGINE_RATE_LIMIT = os.environ.get("REMOTE_ENGINE_RATE_LIMIT", "120/m")
# Failed authentications (bad, revoked or expired tokens) per client IP on /api/, A2A and the engine.
AUTH_FAILURE_RATE_LIMIT = os.environ.get("AUTH_FAILURE_RATE_LIMIT", "20/m")
# /metrics: from these networks, or with `Authorization: Bearer <METRICS_BEARER_TOKEN>` from anywhere.
METRICS_ALLOWED_CIDRS = env_list("METRICS_ALLOWED_CIDRS", "127.0.0.1/32,::1/128" if PRODUCTION else "0.0.0.0/0,::/0")
METRICS_BEARER_TOKEN = os.environ.get("METRICS_BEARER_TOKEN", "")
try:
    for _cidr in METRICS_ALLOWED_CIDRS:
        ipaddress.ip_network(_cidr, strict=False)
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_CIDRS: {exc}") from exc
# Exact-model recovery after each committed probe chunk (fingerprint_app.recovery_hook). Off: the
# statistical fingerprint runs alone (tests of that pipeline switch it off).
FINGERPRINT_RECOVERY = env_bool("FINGERPRINT_RECOVERY", True)

# --- Celery ------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", None)
# Without a broker, tasks run inline in the process that queues them.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL == "memory://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker with no server (the demo's): each message is a file in one folder that the web
    # process writes and the worker claims (kombu's filesystem transport).
    CELERY_BROKER_FOLDER = Path(os.environ.get("CELERY_BROKER_FOLDER", BASE_DIR / ".data" / "celery"))
    CELERY_BROKER_FOLDER.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(CELERY_BROKER_FOLDER),
                                       "data_folder_out": str(CELERY_BROKER_FOLDER),
                                       "control_folder": str(CELERY_BROKER_FOLDER / "control"),
                                       "store_processed": False, "polling_interval": 0.5}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "purge-expired-idempotency-keys": {
        "task": "core.tasks.purge_expired_idempotency_keys",
        "schedule": crontab(minute="*/15"),
    },
    "audit-ledger-hourly": {"task": "wallet_app.tasks.audit_ledger_task", "schedule": crontab(minute=7)},
    "expire-stale-commits": {"task": "games_app.casino.tasks.expire_stale_commits", "schedule": 60.0},
    "run-due-lotto-draws": {"task": "games_app.casino.tasks.run_due_lotto_draws", "schedule": 60.0},
    "roll-up-game-stats": {"task": "games_app.casino.tasks.roll_up_game_stats", "schedule": 60.0},
    "recover-evaluating-sessions": {"task": "sessions_app.tasks.recover_sessions_task", "schedule": 300.0},
}

# --- Observability -----------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_context.RequestIdLogFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "ts", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}
OTEL_EXPORTER_OTLP_ENDPOINT = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
OTEL_SERVICE_NAME = os.environ.get("OTEL_SERVICE_NAME", "agent-royale")
# Share of the traces that start here which are recorded (parent-based: a caller's sampled traceparent is
# always followed). OTEL_TRACES_SAMPLER_ARG is the standard OpenTelemetry variable for it.
OTEL_TRACES_SAMPLE_RATIO = float(os.environ.get("OTEL_TRACES_SAMPLER_ARG", "0.05"))
