"""Settings shared by every environment. Deployment-specific values come from config.env only."""

from __future__ import annotations

from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR = env.BASE_DIR
VAR_DIR = env.VAR_DIR

SECRET_KEY = env.secret_key()
DEBUG = env.get_bool("DEBUG", False)
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Listed so the API docs load Swagger UI from our own static files, never from a CDN.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "civicpulse.core",
    "civicpulse.accounts",
    "civicpulse.catalogue",
    "civicpulse.cases",
    "civicpulse.evaluations",
    "civicpulse.rectification",
    "civicpulse.assessment",
    "civicpulse.quality",
    "civicpulse.dashboards",
    "civicpulse.reports",
    "civicpulse.exchange",
    "civicpulse.open311",
    "civicpulse.publication",
    "civicpulse.demo",
    "civicpulse.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "civicpulse.core.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "civicpulse" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "civicpulse.core.context_processors.navigation",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    return config


DATABASES = {"default": _database(env.database_url())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.get("LANGUAGE_CODE", "zh-hans")  # pages negotiate; this is the CLI default
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "civicpulse" / "locale"]
TIME_ZONE = env.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Uploaded case documents: private, outside STATIC_ROOT, never served by URL.
MEDIA_ROOT = VAR_DIR / "media"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Background work: the database backend needs no extra server in the embedded default; a worker process
# (`civicpulse worker`, started by `civicpulse serve` unless --no-worker) runs the queue.
TASKS = {"default": {"BACKEND": env.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs several INFO lines per PDF (reports, the review pack).
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# Local practice rather than national law (docs: domain.md): settings, never constants in code.
CIVICPULSE = {
    "DEFAULT_CALENDAR": env.get("CIVICPULSE_DEFAULT_CALENDAR", "CN"),
    "OFFICE_HOURS": ("09:00", "17:30"),
    "SLA_WARNING_SHARE": 0.8,
    # How often the worker re-rates open cases' time limits.
    "SLA_SCAN_EVERY_MINUTES": int(env.get("CIVICPULSE_SLA_SCAN_EVERY_MINUTES", "15")),
    # How often the worker brings the dashboards' monthly cells up to date (civicpulse.dashboards.tasks).
    "DASHBOARD_REFRESH_MINUTES": int(env.get("CIVICPULSE_DASHBOARD_REFRESH_MINUTES", "5")),
    # Monthly reports (civicpulse.reports): made from the routine cut-off, the Nth working day after the
    # month, in this language ("" = LANGUAGE_CODE).
    "REPORT_WORKING_DAY": int(env.get("CIVICPULSE_REPORT_WORKING_DAY", "3")),
    "REPORT_LANGUAGE": env.get("CIVICPULSE_REPORT_LANGUAGE", ""),
    # Published results (civicpulse.publication): counts under this are withheld from the public; the
    # minimum sample for ranking (None: each indicator's own); how many rectified bad reviews are offered.
    "PUBLICATION_SUPPRESS_BELOW": int(env.get("CIVICPULSE_PUBLICATION_SUPPRESS_BELOW", "10")),
    "PUBLICATION_MIN_SAMPLE": None,
    "PUBLICATION_EXAMPLES": 12,
    # Upward reporting (civicpulse.exchange): the first part of every record id (e.g. the area code; set it
    # before the first export, never change it), how far cut-offs stay behind the clock, when a batch a
    # dead worker left is given up.
    "EXCHANGE_SOURCE_CODE": env.get("CIVICPULSE_EXCHANGE_SOURCE_CODE", "civicpulse"),
    "EXCHANGE_SETTLE_SECONDS": int(env.get("CIVICPULSE_EXCHANGE_SETTLE_SECONDS", "120")),
    "EXCHANGE_STALE_MINUTES": int(env.get("CIVICPULSE_EXCHANGE_STALE_MINUTES", "60")),
    # Per client address: tickets from a kiosk, and guesses at case verification codes.
    "KIOSK_RATE": env.get("CIVICPULSE_KIOSK_RATE", "30/m"),
    "TRACKING_RATE": env.get("CIVICPULSE_TRACKING_RATE", "20/m"),
    "UPLOAD_MAX_BYTES": int(env.get("CIVICPULSE_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))),
    "NOTIFIERS": env.get_list("CIVICPULSE_NOTIFIERS", ["civicpulse.core.notify.ConsoleChannel"]),
    # civicpulse.core.notify.SmsChannel posts {"to", "text"} here (a bearer token if one is set).
    "SMS_GATEWAY_URL": env.get("CIVICPULSE_SMS_GATEWAY_URL", ""),
    "SMS_GATEWAY_TOKEN": env.get("CIVICPULSE_SMS_GATEWAY_TOKEN", ""),
    # Behind a reverse proxy every client has the proxy's address: name the header the proxy sets with the
    # real one (e.g. X-Real-IP). Empty: REMOTE_ADDR. Never set it without a proxy: clients could forge it.
    "CLIENT_IP_HEADER": env.get("CIVICPULSE_CLIENT_IP_HEADER", ""),
    # Evaluation (domain.md §4): which levels are bad and good reviews, which stages are rated.
    "BAD_LEVELS": (1, 2),
    "GOOD_LEVELS": (4, 5),
    "EVALUATION_STAGES": ("intake", "acceptance", "completion"),
    "EVALUATION_LINK_HOURS": 72,
    "EVALUATION_INVITE_AFTER_DAYS": int(env.get("CIVICPULSE_EVALUATION_INVITE_AFTER_DAYS", "3")),
    # Where the one-time rating links in SMS invitations point (the public address of the portal).
    "PUBLIC_BASE_URL": env.get("CIVICPULSE_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
    # The pad's rating page starts afresh after this many seconds.
    "PAD_RESET_SECONDS": 10,
    # Anti-fraud thresholds (civicpulse.evaluations.fraud.Thresholds).
    "FRAUD": {"burst_window_minutes": 10, "burst_count": 5, "spread_window_days": 30, "spread_max_cases": 5},
    # Rectification of bad reviews (domain.md §5): one of the presets in civicpulse.rectification.deadlines.
    "RECTIFICATION_PRESET": env.get("CIVICPULSE_RECTIFICATION_PRESET", "standard"),
    "APPEAL_WORKING_DAYS": 3,
    # Valid bad reviews on one service or unit within a month that put it on the quality office's list.
    "REPEATED_BAD_REVIEWS": 3,
    # Hall waits: the share served within this many minutes is an indicator (domain.md §6).
    "WAIT_TARGET_MINUTES": 20,
    # Routine assessment runs start on this working day of the month after the period (domain.md §7).
    "ROUTINE_RUN_WORKING_DAY": 3,
    # Review requests: asked within this many days of finalizing, answered within as many (domain.md §7).
    "REVIEW_REQUEST_DAYS": 10,
    # Quality management (domain.md §8): controlled documents are reviewed this often; a nonconformity's
    # effectiveness check re-measures its indicator over this many days after its actions; a unit whose
    # cases of a month went past their promised limit at least SLA_BREACH_MIN times, and for at least this
    # share of the cases decided, gets a nonconformity.
    "DOCUMENT_REVIEW_MONTHS": 12,
    "EFFECTIVENESS_CHECK_DAYS": 30,
    # Below this many records measured after the actions, the check cannot tell: no improvement is shown.
    "EFFECTIVENESS_MIN_SAMPLE": 5,
    # A case indicator is checked this many days later still, so the cases received in the span can end.
    "EFFECTIVENESS_CASE_GRACE_DAYS": 30,
    "SLA_BREACH_MIN": 5,
    "SLA_BREACH_SHARE": 0.1,
    "REVIEW_ANSWER_DAYS": 10,
}

# Outgoing mail for civicpulse.core.notify.EmailChannel (an intranet relay, typically).
EMAIL_HOST = env.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.get_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.get("DEFAULT_FROM_EMAIL", "civicpulse@localhost")
