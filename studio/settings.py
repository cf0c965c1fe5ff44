"""Seedance Studio settings: one file, configured from the environment.

Defaults let ``make run`` work with no environment at all (SQLite, local storage, the
built-in simulator); the tests use ``studio.settings_test``, which builds on this file.
Production must set SECRET_KEY and ALLOWED_HOSTS; with DEBUG off a missing one stops the
process at start.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from studio.env import env_bool, env_float, env_int, env_list, env_str
from studiolib.sizes import SizeTableError
from studiolib.sizes import parse_overrides as parse_output_sizes

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "studio",
    "workspaces",
    "billing",
    "generations",
    "sharing",
    "webhooks",
    "brandkits",
    "exports",
    "campaigns",
]

MIDDLEWARE = [
    # First: health probes skip the host check and the HTTPS redirect (see the class).
    "studio.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "studio.middleware.HtmxLoginRedirectMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login brute force: lock a username+IP pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Reverse proxies in front of the studio that append to X-Forwarded-For (0: the header is
# ignored and the socket's address is the client). Every lookup goes through
# studio.client_ip, so one proxy's address never stands for all its clients.
STUDIO_TRUSTED_PROXY_COUNT = env_int("STUDIO_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "studio.client_ip.client_ip"

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

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
                "workspaces.context.workspace",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not :memory:) so the Celery worker and simulator subprocesses of the
    # end-to-end tests see the same test database; a busy timeout because the web
    # process and the worker write concurrently.
    # Per test run (pid), so two runs on one machine never share or delete each other's.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f"test_db_{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rendered HTML of finished gallery cards, whole pages of them, the filter bar and the
    # fresh New video form, keyed by content (a card's key includes its row's updated_at),
    # so entries never go stale and need no invalidation. Per process on purpose: no
    # network hop, and a deploy's new templates start from empty. A card is about 2 KB, a
    # page of 24 about 40 KB.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "TIMEOUT": 86400,
        "OPTIONS": {"MAX_ENTRIES": env_int("STUDIO_FRAGMENT_CACHE_ENTRIES", 5000)},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "generations:gallery"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Object storage -------------------------------------------------------------------
# Media is never served from a public URL: local files go through a permission-checked
# view, S3 objects through short-lived presigned URLs issued after the same check.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
USE_S3 = bool(AWS_STORAGE_BUCKET_NAME)
if USE_S3:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 300),
            "signature_version": "s3v4",
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Where the provider can fetch reference files from this app when storage is local (a
# signed, expiring /r/<token>/ URL). Behind a tunnel or proxy, set the public address.
STUDIO_PUBLIC_URL = env_str("STUDIO_PUBLIC_URL", "http://127.0.0.1:8000")
# Every upload passes through byte caps enforced while it streams.
FILE_UPLOAD_HANDLERS = ["studiolib.upload_handler.CappedUploadHandler"]
UPLOAD_MAX_REQUEST_BYTES = env_int("UPLOAD_MAX_REQUEST_BYTES", 200 * 1024 * 1024)
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 15)
# Uploads are decoded in a child process (studiolib.sandbox) killed after this many
# seconds, with its address space capped: a file built to stall or flood the decoder costs
# one short-lived process. A 6000×6000 image needs about 200 MB while it is re-encoded.
UPLOAD_PROBE_SECONDS = env_float("UPLOAD_PROBE_SECONDS", 20.0)
UPLOAD_PROBE_MEMORY_MB = env_int("UPLOAD_PROBE_MEMORY_MB", 1024)
# Django's own hard stop (a bare 400) sits above ours, which answers with a form message.
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES + 5

# --- Broker and Celery ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# Every countdown and time limit stays far below this, so Redis never redelivers a task
# that is merely waiting (reliability checklist A3).
REDIS_VISIBILITY_TIMEOUT = 3600
_transport = {
    "visibility_timeout": REDIS_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = _transport
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery otherwise closes the database connection around every task: a new PostgreSQL
# connection per poll, a fifth of a worker's time with a thousand in flight (make bench).
# Kept instead; studio/celery.py drops it when broken or older than CONN_MAX_AGE.
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 15
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
# A web request must not hang when Redis is down: the row is the outbox and the sweeper
# publishes it later, so fail fast here.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
SEEDANCE_SWEEP_SECONDS = env_float("SEEDANCE_SWEEP_SECONDS", 15.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-generations": {
        "task": "generations.tasks.sweep",
        "schedule": timedelta(seconds=SEEDANCE_SWEEP_SECONDS),
        "options": {"expires": SEEDANCE_SWEEP_SECONDS},
    },
    "sweep-webhooks": {
        "task": "webhooks.tasks.sweep",
        "schedule": timedelta(seconds=SEEDANCE_SWEEP_SECONDS),
        "options": {"expires": SEEDANCE_SWEEP_SECONDS},
    },
    "sweep-exports": {
        "task": "exports.tasks.sweep",
        "schedule": timedelta(seconds=SEEDANCE_SWEEP_SECONDS),
        "options": {"expires": SEEDANCE_SWEEP_SECONDS},
    },
}
# Finishing renders (exports/) run on a queue of their own, consumed only by the
# ``exporter`` worker (Procfile): a minute of ffmpeg never delays a poll. The default worker
# consumes the default queue only (no CELERY_TASK_QUEUES is declared, so a worker started
# without -Q listens to "celery" alone). The exports sweep runs there too, so it never
# waits behind a render.
CELERY_TASK_ROUTES = {"exports.tasks.render": {"queue": "exports"}}
# One render: wall-clock seconds and address-space cap of its ffmpeg child, how long a
# render's claim holds without a progress heartbeat, and how many claims an export gets
# before the sweeper fails it (a render that keeps killing its worker).
EXPORT_RENDER_TIMEOUT = env_float("EXPORT_RENDER_TIMEOUT", 300.0)
EXPORT_RENDER_MEMORY_MB = env_int("EXPORT_RENDER_MEMORY_MB", 2048)
EXPORT_LEASE_SECONDS = env_float("EXPORT_LEASE_SECONDS", 60.0)
EXPORT_MAX_ATTEMPTS = env_int("EXPORT_MAX_ATTEMPTS", 3)
# A queued export no worker has taken after this long is published again (a flushed
# broker); long enough that a busy exporter's backlog is not published twice.
EXPORT_QUEUED_SECONDS = env_float("EXPORT_QUEUED_SECONDS", 300.0)
# Outgoing webhooks (webhooks/): attempts per delivery, the first retry's delay (doubling
# after each failure, capped at 300 s), and the per-request timeouts.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_SECONDS = env_float("WEBHOOK_RETRY_SECONDS", 10.0)
WEBHOOK_CONNECT_TIMEOUT = env_float("WEBHOOK_CONNECT_TIMEOUT", 3.05)
WEBHOOK_READ_TIMEOUT = env_float("WEBHOOK_READ_TIMEOUT", 10.0)

# --- Seedance upstream ----------------------------------------------------------------
SEEDANCE_BASE_URL = env_str("SEEDANCE_BASE_URL", "http://127.0.0.1:8001").rstrip("/")
SEEDANCE_API_KEY = env_str("SEEDANCE_API_KEY", "sk-local-simulator")
SEEDANCE_ENABLE_4K = env_bool("SEEDANCE_ENABLE_4K", False)
# Price overrides (USD per million tokens: [text/image input, video input]) on top of the
# defaults in generations/tiers.py. Estimates only: the provider's settlement is final.
try:
    SEEDANCE_PRICES = json.loads(env_str("SEEDANCE_PRICES", "{}"))
except ValueError:
    raise ImproperlyConfigured("SEEDANCE_PRICES must be a JSON object") from None
# Output size overrides ({"720p": {"1:1": [960, 960]}}) of the table in generations/sizes.py,
# which the estimate and the settled cost of a clip without usage tokens are computed from.
try:
    SEEDANCE_OUTPUT_SIZES = parse_output_sizes(env_str("SEEDANCE_OUTPUT_SIZES", "{}"))
except SizeTableError as exc:
    raise ImproperlyConfigured(str(exc)) from None
SEEDANCE_CONNECT_TIMEOUT = env_float("SEEDANCE_CONNECT_TIMEOUT", 3.05)
SEEDANCE_READ_TIMEOUT = env_float("SEEDANCE_READ_TIMEOUT", 30.0)
SEEDANCE_DEADLINE_MINUTES = env_float("SEEDANCE_DEADLINE_MINUTES", 60.0)
SEEDANCE_POLL_MIN_SECONDS = env_float("SEEDANCE_POLL_MIN_SECONDS", 1.0)
SEEDANCE_POLL_MAX_SECONDS = env_float("SEEDANCE_POLL_MAX_SECONDS", 120.0)
SEEDANCE_MAX_SUBMIT_ATTEMPTS = env_int("SEEDANCE_MAX_SUBMIT_ATTEMPTS", 5)
SEEDANCE_RESULT_MAX_BYTES = env_int("SEEDANCE_RESULT_MAX_BYTES", 500 * 1024 * 1024)
SEEDANCE_DOWNLOAD_SECONDS = env_float("SEEDANCE_DOWNLOAD_SECONDS", 300.0)
# Result files are fetched only over https from these host suffixes, and only from public
# addresses (generations/urlguard.py). By default the upstream host itself plus the
# object-storage domains ByteDance serves results from.
# Loopback results over plain http on any port are the local simulator's (DEBUG and tests
# only: studio/settings_test.py turns it on; studio/checks.py warns about it in
# production). The simulator serves results from "localhost" while its API is on
# 127.0.0.1, like a CDN host.
SEEDANCE_RESULT_ALLOW_LOOPBACK = env_bool("SEEDANCE_RESULT_ALLOW_LOOPBACK", DEBUG)
SEEDANCE_RESULT_HOSTS = env_list(
    "SEEDANCE_RESULT_HOSTS",
    [urlsplit(SEEDANCE_BASE_URL).hostname or "", "volces.com", "byteplus.com", "bytepluses.com"]
    + (["localhost"] if SEEDANCE_RESULT_ALLOW_LOOPBACK else []),
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Share and reference tokens never reach a log (studio/log_redaction.py): on the
    # loggers that write request paths, and on the handler for everything else.
    "filters": {"redact_tokens": {"()": "studio.log_redaction.RedactTokensFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "urllib3": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["redact_tokens"]},
        # runserver's request lines (make run), through the redacting handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# The gallery asks for changes this often (one request for all cards, 204 when none).
STUDIO_LIVE_REFRESH_SECONDS = env_float("STUDIO_LIVE_REFRESH_SECONDS", 2.5)

# --- Review through share links -------------------------------------------------------------
# A guest may post (comment, approve) this many times per window per link and address.
SHARE_GUEST_POSTS_PER_WINDOW = env_int("SHARE_GUEST_POSTS_PER_WINDOW", 20)
SHARE_GUEST_WINDOW_SECONDS = env_int("SHARE_GUEST_WINDOW_SECONDS", 600)

# --- Teams -------------------------------------------------------------------------------
# How long an invitation link works (workspaces/invites.py).
STUDIO_INVITE_DAYS = env_int("STUDIO_INVITE_DAYS", 7)

# --- Email (invitations) ----------------------------------------------------------------
# Printed to the console in development or when no mail server is configured.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# A request waits for the mail server at most this long before the admin is told to pass
# the link on themselves.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Seedance Studio <studio@localhost>")
if DEBUG or not EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

# --- Per-user limits (0 = unlimited); spend is measured with the cost estimate -------------
STUDIO_MAX_IN_FLIGHT = env_int("STUDIO_MAX_IN_FLIGHT", 5)
STUDIO_MAX_PER_MINUTE = env_int("STUDIO_MAX_PER_MINUTE", 10)
STUDIO_MAX_SPEND_PER_DAY = env_float("STUDIO_MAX_SPEND_PER_DAY", 50.0)
STUDIO_MAX_SPEND_PER_MONTH = env_float("STUDIO_MAX_SPEND_PER_MONTH", 500.0)

# --- Campaign batches: the most rows one batch may have, and the largest CSV it takes -----
CAMPAIGN_MAX_ROWS = env_int("CAMPAIGN_MAX_ROWS", 300)
CAMPAIGN_MAX_CSV_BYTES = env_int("CAMPAIGN_MAX_CSV_BYTES", 1024 * 1024)

# --- Content-Security-Policy (django-csp 4): no inline script, no eval ------------------
_media_origins = env_list("CSP_MEDIA_ORIGINS")
if USE_S3 and env_str("AWS_S3_ENDPOINT_URL"):
    _endpoint = urlsplit(env_str("AWS_S3_ENDPOINT_URL"))
    _media_origins.append(f"{_endpoint.scheme}://{_endpoint.netloc}")
elif USE_S3:
    _media_origins.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_media_origins],
        "media-src": ["'self'", "blob:", *_media_origins],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
