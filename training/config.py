"""Configuration, read from the environment.

The embedded default runs on SQLite in ``instance/`` with mail written to the log.
Production (``TRAINING_ENV=production``) refuses to start without a real secret key
and never loads demo data.
"""
import math
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from training.i18n import N_, ConfigurationError

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-not-secret"
# The organisation's name when none is set; the pages translate it (``training.i18n.organisation_name``).
DEFAULT_ORGANISATION_NAME = "Peer Recovery Training Programme"


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(url):
    """Normalise a database URL so PostgreSQL uses the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'training.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    COURSES_DIR = os.environ.get("COURSES_DIR", str(ROOT / "courses"))

    # Accounts
    ALLOW_SELF_REGISTRATION = _bool("ALLOW_SELF_REGISTRATION")
    INVITATION_TTL_HOURS = int(os.environ.get("INVITATION_TTL_HOURS", 72))
    INVITE_IMPORT_MAX_ROWS = 500  # people invited from one spreadsheet
    PASSWORD_RESET_TTL_MINUTES = int(os.environ.get("PASSWORD_RESET_TTL_MINUTES", 60))
    PASSWORD_MIN_LENGTH = 10
    # Argon2id cost; the defaults follow RFC 9106's second recommended option.
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", 3))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", 65536))
    ARGON2_PARALLELISM = 2

    # Sessions
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    # A sign-in ends this long after the password was typed, however busy it has been: then the
    # person signs in again.
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", 12))
    # With "Keep me signed in", the sign-in and its cookie last this long instead, counted the same way.
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_ME_DAYS", 14)))
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Mail: with no MAIL_SERVER, messages are written to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "training@localhost")

    # Public address used in e-mailed links when there is no request to build them from.
    BASE_URL = os.environ.get("BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '5000')}")
    ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", DEFAULT_ORGANISATION_NAME)
    # Its name on Spanish pages, e-mails and documents; left empty, ORGANISATION_NAME is used as set.
    ORGANISATION_NAME_ES = os.environ.get("ORGANISATION_NAME_ES", "")
    # The language pages are shown in when a person has not chosen one (English or Spanish).
    DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "en")
    # The time zone in which live sessions are scheduled and shown (an IANA name).
    TIMEZONE = os.environ.get("TIMEZONE", "UTC")
    TRAININGS_DIR = os.environ.get("TRAININGS_DIR", str(ROOT / "trainings"))

    # Rate limits: memory per process by default, Redis when REDIS_URL is set.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # How many proxies in front of the app add the visitor's address to X-Forwarded-For. Rate
    # limits count requests by that address; with none, the header is not believed (anyone can
    # write it), and behind a proxy every visitor would share the proxy's address and its budget.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 0))

    # A submission this long after a quiz's time limit still counts (network delays).
    QUIZ_GRACE_SECONDS = int(os.environ.get("QUIZ_GRACE_SECONDS", 60))
    MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024

    DEFAULT_CREDENTIAL = os.environ.get("DEFAULT_CREDENTIAL", "peer-recovery-specialist")
    CREDENTIALS_DIR = os.environ.get("CREDENTIALS_DIR", str(ROOT / "certificates" / "credentials"))

    # Hour entries
    HOURS_BACKDATE_DAYS = int(os.environ.get("HOURS_BACKDATE_DAYS", 120))
    # How far back an enrolment in a credential may start.
    ENROLMENT_BACKDATE_YEARS = int(os.environ.get("ENROLMENT_BACKDATE_YEARS", 10))
    ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024))

    # Burnout signals. No published guidance sets one limit for peer workers, so each
    # threshold is a setting; the defaults are the product's documented ones.
    BURNOUT_EARLY_MONTHS = int(os.environ.get("BURNOUT_EARLY_MONTHS", 6))
    BURNOUT_SUPERVISION_DAYS_EARLY = int(os.environ.get("BURNOUT_SUPERVISION_DAYS_EARLY", 7))
    BURNOUT_SUPERVISION_DAYS_LATER = int(os.environ.get("BURNOUT_SUPERVISION_DAYS_LATER", 31))
    BURNOUT_SERVICE_HOURS_PER_SUPERVISION_HOUR = float(
        os.environ.get("BURNOUT_SERVICE_HOURS_PER_SUPERVISION_HOUR", 20))
    BURNOUT_WEEKLY_SERVICE_CAP_HOURS = float(os.environ.get("BURNOUT_WEEKLY_SERVICE_CAP_HOURS", 40))
    BURNOUT_WEEKS_CHECKED = int(os.environ.get("BURNOUT_WEEKS_CHECKED", 4))
    BURNOUT_PENDING_DAYS = int(os.environ.get("BURNOUT_PENDING_DAYS", 14))
    BURNOUT_WELLBEING_DROP = float(os.environ.get("BURNOUT_WELLBEING_DROP", 0.5))

    # Certificates
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute;300 per hour")
    # Issuer keys live in the database, their private halves encrypted with this secret.
    SIGNING_KEYS_SECRET = os.environ.get("SIGNING_KEYS_SECRET", "")
    # A P-256 key that signed credentials before keys moved to the database: still published.
    SIGNING_KEY = os.environ.get("SIGNING_KEY", "")
    SIGNING_KEY_FILE = os.environ.get("SIGNING_KEY_FILE", "")
    CERTIFICATE_SIGNATORY_NAME = os.environ.get("CERTIFICATE_SIGNATORY_NAME", "")
    CERTIFICATE_SIGNATORY_TITLE = os.environ.get("CERTIFICATE_SIGNATORY_TITLE", "")
    CERTIFICATE_SIGNATORY_TITLE_ES = os.environ.get("CERTIFICATE_SIGNATORY_TITLE_ES", "")
    EXPIRY_REMINDER_DAYS = (60, 30, 7)
    # Paper for printed documents: "letter" (US Letter) or "a4".
    PAPER_SIZE = os.environ.get("PAPER_SIZE", "letter").strip().lower()
    # Background jobs go to RQ workers when Redis is configured (RQ_ENABLED=0 keeps them in a thread).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RQ_ENABLED = _bool("RQ_ENABLED", default=bool(REDIS_URL))
    # Files that jobs write (zip files) for people to download: shared by app servers and workers.
    JOB_FILES_DIR = os.environ.get("JOB_FILES_DIR", "")
    # A finished job's file is served for this many days, then refused; `jobs clean` removes it.
    JOB_FILES_KEEP_DAYS = int(os.environ.get("JOB_FILES_KEEP_DAYS", 7))

    # Log lines: "text" to read in a terminal, "json" (one object a line) for a log collector.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()

    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "recovery-demo-2026")
    DEMO_DATA_ALLOWED = True
    PEOPLE_PER_PAGE = 25
    # Supervisees are all assessed and sorted by risk; a page shows this many, most at risk first,
    # and the dashboard the first few of them.
    SUPERVISEES_PER_PAGE = int(os.environ.get("SUPERVISEES_PER_PAGE", 25))
    SUPERVISEES_ON_DASHBOARD = int(os.environ.get("SUPERVISEES_ON_DASHBOARD", 10))
    # The review queue shows this many entries at a time, oldest first.
    REVIEW_BATCH = int(os.environ.get("REVIEW_BATCH", 50))
    HOURS_PER_PAGE = 50  # hour entries per page of a trainee's hours page


def trusted_hosts(base_url, extra=""):
    """The host names this site answers to: BASE_URL's, plus any listed in ``extra`` (comma-separated)."""
    hosts = [urlsplit(base_url).hostname or ""] + [h.strip() for h in extra.split(",")]
    return [host for host in dict.fromkeys(hosts) if host]


class ProductionConfig(Config):
    ENV_NAME = "production"
    DEMO_DATA_ALLOWED = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # A request naming any other host is refused, so no link can be built from a forged Host header.
    TRUSTED_HOSTS = trusted_hosts(Config.BASE_URL, os.environ.get("TRUSTED_HOSTS", ""))
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()
    # Served by gunicorn behind a TLS-terminating proxy (see gunicorn.conf.py).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 1))


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    MAIL_SERVER = ""
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = False
    RQ_ENABLED = False  # jobs run in a thread the test waits for, unless a test asks for workers
    BASE_URL = "http://localhost"
    SERVER_NAME = None


ENVIRONMENTS = {"development": Config, "production": ProductionConfig}


def config_from_environment():
    """Pick the configuration class named by TRAINING_ENV (default: development).

    A name that is not known stops the start: a typo such as ``prod`` must never quietly
    run the development configuration in production.
    """
    name = os.environ.get("TRAINING_ENV", "development").strip().lower()
    if name not in ENVIRONMENTS:
        raise ConfigurationError(N_("TRAINING_ENV=%(name)r is not known: use one of %(names)s."), name=name,
                                 names=", ".join(ENVIRONMENTS))
    return ENVIRONMENTS[name]


def estimated_bits(key):
    """A rough estimate of a key's randomness: its length times the entropy of its characters."""
    counts = Counter(key)
    return -len(key) * sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())


def repeats_itself(key):
    """Whether ``key`` is a shorter string written out again and again ("abcabcabc")."""
    return any(len(key) % size == 0 and key == key[:size] * (len(key) // size) for size in range(1, len(key) // 2 + 1))


def weak_secret(key):
    return key == DEV_SECRET_KEY or len(key) < 32 or repeats_itself(key) or estimated_bits(key) < 80


def check_production(config):
    """Refuse to run a production configuration with a missing, placeholder or guessable secret key."""
    if config.get("ENV_NAME") != "production":
        return
    if weak_secret(config.get("SECRET_KEY") or ""):
        raise ConfigurationError(N_(
            "Production needs SECRET_KEY set to a random value of at least 32 characters, not a "
            "repeated pattern (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        ), config)


def check_paper_size(config):
    """Refuse to start with a paper size no document can be printed on."""
    if str(config.get("PAPER_SIZE", "letter")).lower() not in {"letter", "a4"}:
        raise ConfigurationError(N_("PAPER_SIZE must be 'letter' or 'a4', not %(value)r."), config,
                                 value=config.get("PAPER_SIZE"))
