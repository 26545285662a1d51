"""MAA Portal settings, read from the environment.

Defaults make the portal run on a machine with only Python (SQLite, a filesystem Celery broker);
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis. With DEBUG off the defaults are the
production-safe ones and a SECRET_KEY is required.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MAA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key(debug: bool) -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if not debug:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=1 for a local run, which keeps a generated key under var/)."
        )
    # A local run keeps one generated key so sessions and signed links survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key(DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "django.contrib.humanize",
    "guardian",
    "django_celery_beat",
    "health_check",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    # Identity (rbac.identity, rbac.stepup): sign-in at the organisation's OpenID provider and
    # the second factors (TOTP, WebAuthn passkeys, recovery codes) asked for before a decision.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "utilities",
    "audit",
    "rbac",
    "approvals",
    "devices",
    "assignments",
    "device_scripts",
    "mobile_apps",
    "device_policies",
    "tenant_admin",
    "maa_portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "rbac.sessions.SessionLifetimeMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "maa_portal.urls"
WSGI_APPLICATION = "maa_portal.wsgi.application"

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
                "rbac.context_processors.navigation",
            ],
        },
    },
    {
        # The parts of pages that repeat, through {% jinja %} (maa_portal/jinja2.py says why).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "maa_portal.jinja2.environment"},
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # psycopg 3's pool: every thread and process borrows from a bounded set and gives the
    # connection back after each request, so a threaded server cannot exhaust PostgreSQL
    # (persistent per-thread connections did). A request waits for a free connection instead.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN", "1")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "8")),
            # Django checks each pooled connection before lending it (check_connection), so a
            # database restart costs no request a dead connection.
            "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "20")),
        }
        # Every query the portal runs reads a page of rows by index. PostgreSQL's parallel
        # workers cost more to start (tens of ms on a small machine) than such a query takes,
        # and its planner picks them for the biggest lists (Admin tasks went from 10 to 45 ms).
        DATABASES["default"]["OPTIONS"].setdefault(
            "options", "-c max_parallel_workers_per_gather=0"
        )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "maa_portal.sqlite3",
            # The web server and the Celery worker write concurrently; IMMEDIATE transactions
            # take the write lock up front instead of failing half-way with "database is locked".
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        }
    }

AUTH_USER_MODEL = "rbac.User"
# Password sign-in: on for the demo and small sites; off when everyone signs in at the identity
# provider, and then no password form, reset or Django-admin password login remains.
PASSWORD_SIGNIN = env_bool("PASSWORD_SIGNIN", True)
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Passwords, while PASSWORD_SIGNIN is on.
    "rbac.identity.PasswordBackend",
    # Signs in the person the identity provider vouched for (django-allauth), never by password.
    "rbac.identity.ProviderBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user is not needed: anonymous visitors see nothing but the login page.
ANONYMOUS_USER_NAME = None
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# OpenID Connect sign-in (django-allauth's openid_connect provider, rbac.identity): Entra ID or
# any OpenID provider. OIDC_ISSUER is the issuer URL (Entra: https://login.microsoftonline.com/
# <tenant id>/v2.0); people are matched by OIDC_UID_CLAIM ("oid" for Entra, "sub" elsewhere).
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_NAME = os.environ.get("OIDC_NAME", "your organisation")
OIDC_UID_CLAIM = os.environ.get("OIDC_UID_CLAIM", "sub")
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
# Entra's "tid": sign-ins from any other tenant are refused. Empty: no tenant check.
OIDC_TENANT_ID = os.environ.get("OIDC_TENANT_ID", "")
OIDC_CREATE_USERS = env_bool("OIDC_CREATE_USERS", False)
# Values of the ID token's "amr" claim that show a second factor (RFC 8176), and of "acr".
OIDC_MFA_AMR = env_list("OIDC_MFA_AMR", "mfa,otp,hwk,swk,fpt,face,pin")
OIDC_MFA_ACR = env_list("OIDC_MFA_ACR", "")


def provider_origin(issuer: str) -> list[str]:
    """The scheme and host of the identity provider, for the CSP's form-action."""
    parts = urlsplit(issuer)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.netloc else []


def oidc_apps(*, issuer: str, client_id: str, secret: str, name: str, uid_claim: str) -> list:
    """django-allauth's openid_connect app of the one identity provider ("idp"), if any."""
    if not issuer:
        return []
    return [
        {
            "provider_id": "idp",
            "name": name,
            "client_id": client_id,
            "secret": secret,
            "settings": {
                "server_url": issuer,
                "uid_field": uid_claim,
                "token_auth_method": "client_secret_post",
                # The signed ID token is the evidence; its claims carry the groups.
                "fetch_userinfo": False,
            },
        }
    ]


SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "provider_class": "rbac.identity.PortalProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": oidc_apps(
            issuer=OIDC_ISSUER,
            client_id=OIDC_CLIENT_ID,
            secret=OIDC_CLIENT_SECRET,
            name=OIDC_NAME,
            uid_claim=OIDC_UID_CLAIM,
        ),
    }
}
SOCIALACCOUNT_ADAPTER = "rbac.identity.ProviderAdapter"
ACCOUNT_ADAPTER = "rbac.identity.AccountAdapter"
# allauth manages no local accounts: passwords stay Django's (SignInView), nobody signs up, and
# only allauth's provider and second-factor pages are routed (maa_portal/urls.py).
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
ACCOUNT_REAUTHENTICATION_METHODS = ["mfa"]
# Step-up (rbac.stepup): approve, reject, Complete and every access-policy change ask for a
# second factor used within STEPUP_MINUTES. Nobody is exempt.
STEPUP_REQUIRED = env_bool("STEPUP_REQUIRED", True)
STEPUP_SECONDS = int(os.environ.get("STEPUP_MINUTES", "10")) * 60
ACCOUNT_REAUTHENTICATION_TIMEOUT = STEPUP_SECONDS
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "MAA Portal"
MFA_PASSKEY_LOGIN_ENABLED = False
# WebAuthn needs a secure origin; http://localhost is one for the browser, not for fido2.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", DEBUG)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The portal speaks English only. Django documents USE_I18N = False as the switch that skips
# the translation machinery: every number and date a list renders asked it for formats (a
# request row rendered in 240 us instead of 310 us). English formats are Django's defaults.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Production-safe defaults whenever DEBUG is off.
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache (Redis in production) and written through to the database:
# one query less on every page, and a cache flush loses no session.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# A session ends after this long without a request, and this long after sign-in whatever
# (rbac.sessions); the cookie does not outlive it.
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_MINUTES", "60")) * 60
SESSION_MAX_SECONDS = int(os.environ.get("SESSION_MAX_HOURS", "12")) * 3600
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sign-in throttling (django-axes, rbac.signin): failures counted per account and per address,
# each against its own limit; past it, locked for the cool-off time. Unlocks go through the audited
# admin action (Users > Unlock sign-in), so axes' own admin pages are off.
AXES_FAILURE_LIMIT = int(os.environ.get("SIGNIN_FAILURE_LIMIT", "5"))
SIGNIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("SIGNIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_HANDLER = "rbac.signin.SignInAttempts"
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SIGNIN_LOCK_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "rbac.signin.locked_out"
AXES_CLIENT_IP_CALLABLE = "rbac.signin.client_ip"
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# Content-Security-Policy (django-csp): scripts and styles only from the portal's own static
# files, never inline; no framing. The API docs pages (ReDoc, Swagger UI) bootstrap with inline
# script, so they are left out. CSP_REPORT_URI names where browsers report violations.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # Signing in and out at the identity provider are form posts that redirect there.
        "form-action": ["'self'", *provider_origin(OIDC_ISSUER)],
        "frame-ancestors": ["'none'"],
        "report-uri": os.environ.get("CSP_REPORT_URI") or None,
    },
}
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Email: the demo writes messages to files under var/mail, where the sent-mail page reads them.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "MAA Portal <maa-portal@localhost>")

# Celery: Redis when REDIS_URL says so, otherwise a broker on the filesystem that needs no server.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Longer than the longest task (an execution takes seconds, a mail send with its SMTP timeout
# well under a minute): an unacknowledged message comes back after this. Stuck executions are
# recovered sooner by the sweeper (MAA_EXECUTION_LEASE_SECONDS).
BROKER_VISIBILITY_SECONDS = int(os.environ.get("BROKER_VISIBILITY_SECONDS", "600"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_SECONDS,
        # A worker that consumes several queues takes from the first of CELERY_QUEUE_NAMES
        # that has work, not from each in turn: a flood of emails waits behind the wipes.
        "queue_order_strategy": "priority",
    }
else:
    _broker_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # Kombu's filesystem transport with atomic writes (maa_portal/broker.py).
    CELERY_BROKER_TRANSPORT = "maa_portal.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Kombu's default is ./control in the working directory: keep runtime files in var/.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
# Separate queues, so a flood of emails never delays a wipe: run a worker per queue to keep
# them apart (README, "Production"); a worker started without -Q consumes all of them.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "maa-portal")
CELERY_QUEUES_BY_ROLE = {
    role: f"{CELERY_TASK_DEFAULT_QUEUE}.{role}"
    for role in ("periodic", "executions", "notifications")
}
# In the order a worker consuming several of them serves them (Redis): the periodic tasks
# (short: sealing, the sweepers), executions, the rest, emails last.
CELERY_QUEUE_NAMES = [
    CELERY_QUEUES_BY_ROLE["periodic"],
    CELERY_QUEUES_BY_ROLE["executions"],
    CELERY_TASK_DEFAULT_QUEUE,
    CELERY_QUEUES_BY_ROLE["notifications"],
]
CELERY_TASK_QUEUES = [Queue(name) for name in CELERY_QUEUE_NAMES]
CELERY_TASK_ROUTES = {
    "approvals.tasks.execute_request": {"queue": CELERY_QUEUES_BY_ROLE["executions"]},
    "approvals.tasks.drain_executions": {"queue": CELERY_QUEUES_BY_ROLE["executions"]},
    # The requestor's page waits for it, as for an execution.
    "approvals.tasks.file_request": {"queue": CELERY_QUEUES_BY_ROLE["executions"]},
    "approvals.tasks.write_notices": {"queue": CELERY_QUEUES_BY_ROLE["notifications"]},
    "approvals.tasks.send_notices": {"queue": CELERY_QUEUES_BY_ROLE["notifications"]},
    "audit.tasks.publish_audit_checkpoint": {"queue": CELERY_QUEUES_BY_ROLE["notifications"]},
    **{
        task: {"queue": CELERY_QUEUES_BY_ROLE["periodic"]}
        for task in (
            "approvals.tasks.recover_executions",
            "approvals.tasks.recover_notices",
            "approvals.tasks.recover_filings",
            "approvals.tasks.expire_requests",
            "approvals.tasks.send_reminders",
            "utilities.tasks.purge_idempotency_keys",
            "audit.tasks.seal_audit_chain",
            "devices.tasks.simulated_check_in",
        )
    },
}
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it finishes, and given back if its worker process dies: with the
# services' row locks, nothing is lost and nothing runs twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up quickly when the broker is down: the work waits in its row, and the
# sweepers publish it again when its lease runs out (approvals.delivery).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# One schedule in the database (django-celery-beat), safe with several workers as long as one
# beat runs. Beat writes these entries into it whenever it starts (django-celery-beat itself).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Links audited events into the hash chain (audit.chain): appends never wait for a lock.
    "seal-audit-chain": {
        "task": "audit.tasks.seal_audit_chain",
        "schedule": float(os.environ.get("AUDIT_SEAL_SECONDS", "1")),
    },
    "recover-executions": {
        "task": "approvals.tasks.recover_executions",
        "schedule": float(os.environ.get("MAA_RECOVERY_SWEEP_SECONDS", "15")),
    },
    # Scheduled executions (a "run at", a change window) are queued when their time comes.
    "release-scheduled-executions": {
        "task": "approvals.tasks.release_scheduled_executions",
        "schedule": float(os.environ.get("MAA_SCHEDULE_SWEEP_SECONDS", "15")),
    },
    "recover-filings": {
        "task": "approvals.tasks.recover_filings",
        "schedule": float(os.environ.get("MAA_RECOVERY_SWEEP_SECONDS", "15")),
    },
    "recover-notices": {
        "task": "approvals.tasks.recover_notices",
        "schedule": float(os.environ.get("MAA_RECOVERY_SWEEP_SECONDS", "15")),
    },
    "expire-requests": {"task": "approvals.tasks.expire_requests", "schedule": 60.0},
    "audit-checkpoint": {
        "task": "audit.tasks.publish_audit_checkpoint",
        "schedule": 60.0 * float(os.environ.get("AUDIT_CHECKPOINT_MINUTES", "60")),
    },
    "send-reminders": {"task": "approvals.tasks.send_reminders", "schedule": 300.0},
    "escalate-break-glass-reviews": {
        "task": "approvals.tasks.escalate_break_glass_reviews",
        "schedule": 300.0,
    },
    "purge-idempotency-keys": {
        "task": "utilities.tasks.purge_idempotency_keys",
        "schedule": 3600.0,
    },
    "simulated-device-check-in": {
        "task": "devices.tasks.simulated_check_in",
        "schedule": float(os.environ.get("DEVICE_CHECK_IN_SECONDS", "10")),
    },
}

# The cache holds each user's resolved access (rbac.access_cache): Redis when REDIS_URL says
# so, shared by every process; otherwise memory, per process (the demo's single web process).
CACHES = {
    "default": {
        # Django's Redis cache that goes on without Redis while it restarts (utilities.cache).
        "BACKEND": "utilities.cache.TolerantRedisCache",
        "LOCATION": os.environ.get("CACHE_URL", REDIS_URL),
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "maa"),
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Multi admin approval: Intune expires a request not processed within 3 days, in either state.
MAA_NEEDS_APPROVAL_TTL = timedelta(hours=float(os.environ.get("MAA_NEEDS_APPROVAL_HOURS", "72")))
MAA_APPROVED_TTL = timedelta(hours=float(os.environ.get("MAA_APPROVED_HOURS", "72")))
# Reminders go out when this share of the time to expiry has passed (Intune sends none).
MAA_REMINDER_AT = float(os.environ.get("MAA_REMINDER_AT", "0.5"))
# A CA bundle to verify chat webhooks' TLS with (a private CA); empty: the system's.
CHAT_WEBHOOK_CA_BUNDLE = os.environ.get("CHAT_WEBHOOK_CA_BUNDLE", "")
# How long the approvers have to review a break-glass run before the policy admins are told.
MAA_BREAK_GLASS_REVIEW = timedelta(
    hours=float(os.environ.get("MAA_BREAK_GLASS_REVIEW_HOURS", "24"))
)
# An execution that has not finished this long after it was queued or started is queued again
# by the sweeper (its worker died); after MAA_EXECUTION_RECOVERIES tries it fails, with Retry.
MAA_EXECUTION_LEASE = timedelta(seconds=float(os.environ.get("MAA_EXECUTION_LEASE_SECONDS", "60")))
# A pending email not sent within this after its last publish is published again: its task may
# have been lost (a broker restarted empty). Sending stays at most once per recipient and event.
MAA_NOTICE_LEASE = timedelta(seconds=float(os.environ.get("MAA_NOTICE_LEASE_SECONDS", "120")))
MAA_EXECUTION_RECOVERIES = int(os.environ.get("MAA_EXECUTION_RECOVERIES", "3"))
# An execution task runs up to this many queued executions in one transaction (a burst of
# Completes drains in batches); 1 runs each on its own.
MAA_EXECUTION_BATCH = int(os.environ.get("MAA_EXECUTION_BATCH", "50"))
# How many drainers may run queued executions at once (approvals.delivery): a burst of
# Completes publishes at most this many tasks. Set it to the number of worker processes on the
# executions queue, or more. 0 publishes a task per Complete, as the demo does: the slots live
# in the cache, which only Redis shares between processes.
MAA_EXECUTION_DRAINERS = int(os.environ.get("MAA_EXECUTION_DRAINERS", "4" if REDIS_URL else "0"))
# A list page that counted more than 1,000 rows says "more than 1,000" from memory for this long
# (utilities.paginator.capped_count); 0 counts every time.
MAA_CAPPED_COUNT_SECONDS = int(os.environ.get("MAA_CAPPED_COUNT_SECONDS", "60"))
# Signed checkpoints of the audit chain's head go to this file (and to auditors by email) on a
# schedule. The key is not in the database; by default it is derived from SECRET_KEY.
AUDIT_CHECKPOINT_KEY = os.environ.get("AUDIT_CHECKPOINT_KEY", "") or SECRET_KEY
AUDIT_CHECKPOINT_FILE = os.environ.get(
    "AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.jsonl")
)
# Who reads the audit log and gets its checkpoints: decided by RBAC, which stands above audit.
AUDIT_MAY_READ = "rbac.selectors.audit_may_read"
AUDIT_READERS = "rbac.selectors.audit_readers"
# The simulated check-in stands in for real devices; turn it off where a device channel exists.
DEVICE_CHECK_IN_SIMULATION = env_bool("DEVICE_CHECK_IN_SIMULATION", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# The API (approvals.api and each domain's api.py): Microsoft Graph's paths and dialect under
# /beta/ (and /v1.0/ for what Graph serves there).
API_RATE = os.environ.get("API_RATE", "600/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Machine clients: OAuth 2.0 client credentials; people: their portal session (CSRF).
        "utilities.api.authentication.ApplicationAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "djangorestframework_camel_case.render.CamelCaseJSONRenderer",
        "djangorestframework_camel_case.render.CamelCaseBrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["djangorestframework_camel_case.parser.CamelCaseJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "utilities.api.pagination.NextLinkPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": ["utilities.api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": API_RATE},
    "EXCEPTION_HANDLER": "utilities.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
JSON_CAMEL_CASE = {
    "JSON_UNDERSCOREIZE": {
        "no_underscore_before_number": False,
        # Data whose keys are names in their own right (setting keys, the pinned payload, the
        # approver's summary), passed through as they are.
        "ignore_fields": ("settings", "payload", "summary", "details"),
        "ignore_keys": None,
    }
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MAA Portal API",
    "DESCRIPTION": "Microsoft Graph's paths and OData, with multi admin approval on every "
    "protected write as Intune does it: a write without x-msft-approval-justification (Base64) "
    "answers 400; with it, 412 Precondition Failed and the request's x-msft-approval-code; the "
    "identical call repeated with x-msft-approval-code completes it (202). /v1.0/ serves the "
    "resources Graph has there, as documented here for /beta/.",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags and operation ids by resource (managedDevices_list), not by the version segment.
    "SCHEMA_PATH_PREFIX": r"/beta(/deviceManagement|/deviceAppManagement)?",
    "PREPROCESSING_HOOKS": ["utilities.api.schema.beta_only"],
    "OAUTH2_FLOWS": ["clientCredentials"],
    "OAUTH2_TOKEN_URL": "/oauth2/token/",
    "OAUTH2_SCOPES": {"api": "MAA Portal API"},
    "ENUM_NAME_OVERRIDES": {
        "ScriptPlatformEnum": "device_scripts.models.Platform",
        "PolicyPlatformEnum": "device_policies.settings.PolicyPlatform.CHOICES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
    ],
}
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("API_TOKEN_SECONDS", "3600")),
    # Graph clients ask for Graph's own scope; it means the same as the portal's.
    "SCOPES": {"api": "MAA Portal API", "https://graph.microsoft.com/.default": "MAA Portal API"},
    "DEFAULT_SCOPES": ["api"],
}
