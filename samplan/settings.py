"""Samplan's Django settings, read from the environment (see samplan/core/env.py)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from samplan.core import env

env.check_unknown()

# Django's generic classes subscriptable at run time, as the annotations write them
# (`forms.ModelForm[Plan]`, `forms.ModelChoiceField[Unit]`): django-stubs' documented way.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env.read("SAMPLAN_DATA_DIR")).resolve()

DEBUG = env.read("SAMPLAN_DEBUG")


def _secret_key() -> str:
    configured: str = env.read("SAMPLAN_SECRET_KEY")
    if configured:
        return configured
    # Embedded default: a key made once and kept in the data folder, readable by its owner only.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.read("SAMPLAN_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.read("SAMPLAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "axes",
    "samplan.core",
    "samplan.accounts",
    "samplan.directory",
    "samplan.audit",
    "samplan.authz",
    "samplan.notify",
    "samplan.consent",
    "samplan.plans",
    "samplan.documents",
    "samplan.agreements",
    "samplan.statistics",
    "samplan.subscriptions",
    "samplan.fhir",
    "samplan.web",
]

# The middleware of browser sessions is samplan.core.browser_middleware's: the same classes,
# which a bearer-token request to /fhir/ or /api/ passes by.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "samplan.core.middleware.RequestIdMiddleware",
    "samplan.core.browser_middleware.Sessions",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "samplan.core.browser_middleware.Csrf",
    "samplan.core.browser_middleware.Authentication",
    "samplan.core.browser_middleware.Messages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "samplan.core.browser_middleware.Htmx",
    "samplan.core.browser_middleware.SessionLifetime",
    # Moves the idle timeout's end forward, written at most once a minute (not every request).
    "samplan.core.browser_middleware.SessionActivity",
    "samplan.core.browser_middleware.ActingUnit",
    "samplan.core.browser_middleware.NoStore",
    "samplan.core.middleware.RefusalAuditMiddleware",
    # Last, so that a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "samplan.urls"
WSGI_APPLICATION = "samplan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "samplan.web.context.acting",
            ],
        },
    }
]


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "samplan.sqlite3"),
            "OPTIONS": {
                # WAL and a busy timeout let the server and a command share the file.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    scheme = url.split(":", 1)[0]
    if scheme not in {"postgres", "postgresql", "sqlite"}:
        raise env.SettingError(
            "DATABASE_URL",
            f"{scheme}:…",
            "postgres://… eller sqlite:///…",
            "postgres://… or sqlite:///…",
        )
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from exc
    if config.get("ENGINE") == "django.db.backends.postgresql":
        # Parameters bound by the server and statements prepared after their second run on a
        # connection (psycopg): a hot read's statements (kept compiled, samplan/core/
        # prepared.py) are not planned again on every request. Planning the FHIR CarePlan
        # read's statement took 13 ms, running it 0.8 ms (issue 12).
        options = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 2)
        config["OPTIONS"] = options
    return config


DATABASES = {"default": _database()}
# The managers' figures from a read-only replica, where one is named (docs/statistics.md).
_statistics_url = env.read("SAMPLAN_STATISTICS_DATABASE_URL").strip()
if _statistics_url:
    DATABASES["statistics"] = {
        **dj_database_url.parse(_statistics_url, conn_max_age=60),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["samplan.statistics.router.StatisticsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request bodies: the largest real one is about 50 kB; FHIR imports and API bodies above 1 MiB
# are refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_URL_PATH = "/login/"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes), counted per user name.
AXES_FAILURE_LIMIT = env.read("SAMPLAN_LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = timedelta(minutes=env.read("SAMPLAN_LOCKOUT_MINUTES"))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Not per IP address: staff on a hospital or municipal network share one address behind NAT,
# and one person's typos must not lock out a whole ward.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.read("SAMPLAN_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Inactivity timeout: activity moves the expiry forward, written at most once a minute by
# SessionActivityMiddleware (so an idle session may end up to a minute early, never late).
# The absolute lifetime is enforced by SessionLifetimeMiddleware, from the time of login.
SESSION_COOKIE_AGE = env.read("SAMPLAN_SESSION_IDLE_MINUTES") * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_MAX_AGE_SECONDS = env.read("SAMPLAN_SESSION_MAX_HOURS") * 60 * 60
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

LANGUAGE_CODE = env.read("SAMPLAN_LANGUAGE")
LANGUAGES = [("sv", _("Svenska")), ("en", _("Engelska"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Stockholm"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps: `samplan serve` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_SUBJECT_PREFIX = "[Samplan] "
DEFAULT_FROM_EMAIL = env.read("SAMPLAN_EMAIL_FROM")
_email = env.read("SAMPLAN_EMAIL")
if _email == "smtp":
    _mailer: dict[str, object] = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env.read("SAMPLAN_SMTP_HOST"),
            "port": env.read("SAMPLAN_SMTP_PORT"),
            "username": env.read("SAMPLAN_SMTP_USER"),
            "password": env.read("SAMPLAN_SMTP_PASSWORD"),
            "use_tls": env.read("SAMPLAN_SMTP_TLS"),
        },
    }
elif _email == "console":
    _mailer = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
else:
    # Demo default: each mail is written to a file in the data folder.
    _mailer = {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(DATA_DIR / "mail")},
    }
MAILERS = {"default": _mailer}

MEETING_DEADLINE_WORKING_DAYS = env.read("SAMPLAN_MEETING_DEADLINE_DAYS")
# Managers' figures (samplan/statistics/protection.py, docs/statistics.md).
STATISTICS_SMALL_CELL = env.read("SAMPLAN_STATISTICS_SMALL_CELL")
PERSON_LOOKUP_HOURS = env.read("SAMPLAN_LOOKUP_HOURS")
EXTERNAL_LINK_DAYS = env.read("SAMPLAN_EXTERNAL_LINK_DAYS")
# The HSA-id of this installation as the producing system of its FHIR resources (meta.source).
FHIR_SOURCE_HSA_ID = env.read("SAMPLAN_FHIR_SOURCE_HSA_ID")

# The audit log's seals (samplan/audit/seal.py): the signing key lives outside the database.
# Without a configured file the sealer makes one in the data folder on first use.
_audit_key_file: str = env.read("SAMPLAN_AUDIT_KEY_FILE")
AUDIT_SEAL_KEY_FILE = Path(_audit_key_file or DATA_DIR / "audit_seal_key.pem").resolve()
AUDIT_SEAL_KEY_MAKE_ON_FIRST_USE = not _audit_key_file
AUDIT_SEAL_TRUSTED_KEYS = env.read("SAMPLAN_AUDIT_TRUSTED_KEYS")
AUDIT_SEAL_WINDOW_SECONDS = env.read("SAMPLAN_AUDIT_SEAL_WINDOW_SECONDS")

# FHIR Subscriptions (samplan/subscriptions): where notifications may go, and for how long a
# failing endpoint is retried.
SUBSCRIPTION_ALLOWED_NETWORKS = env.read("SAMPLAN_SUBSCRIPTION_ALLOWED_NETWORKS")
SUBSCRIPTION_TIMEOUT_SECONDS = env.read("SAMPLAN_SUBSCRIPTION_TIMEOUT_SECONDS")
SUBSCRIPTION_ERROR_AFTER_HOURS = env.read("SAMPLAN_SUBSCRIPTION_ERROR_AFTER_HOURS")

# Application logs carry request ids and object ids, never names or personal identity numbers.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "samplan.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.read("SAMPLAN_LOG_LEVEL").upper()},
    # PDF rendering: its progress lines name each step of every document; warnings only.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
