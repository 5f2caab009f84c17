"""Formatting helpers for templates: dates and numbers in the language of the page.

Babel takes tens of microseconds to format one number or date, and a long list repeats the same
few hundred values (1.5 h, a day of this month) in one language: each value is formatted once
per process and language."""
import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_percent
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# The day before the month in English too ("5 October 2026"), as the platform has always
# printed it; other languages use their own long form ("5 de octubre de 2026").
DATE_PATTERNS = {"en": "d MMMM y"}


def _locale():
    return get_locale() or Locale("en")


@lru_cache(maxsize=4096)
def _date(value, locale):
    return babel_date(value, DATE_PATTERNS.get(str(locale.language), "long"), locale=locale)


@lru_cache(maxsize=4096)
def _decimal(value, pattern, locale):
    return format_decimal(value, format=pattern, locale=locale)


def format_date(value):
    if value is None:
        return "—"
    return _date(value.date() if isinstance(value, datetime) else value, _locale())


def programme_zone():
    """The time zone the programme schedules and shows its times in (TIMEZONE)."""
    from flask import current_app, has_app_context

    return ZoneInfo(current_app.config.get("TIMEZONE") or "UTC") if has_app_context() else UTC


def session_day(session, now=None):
    """Whether a live session is on now, today or tomorrow in the programme's time zone ("now",
    "today", "tomorrow"), or "" for any other day: lists of sessions say so beside the date."""
    now = now or datetime.now(UTC)
    if session.starts_at <= now < session.ends_at:
        return "now"
    zone = programme_zone()
    today, day = now.astimezone(zone).date(), session.starts_at.astimezone(zone).date()
    return {today: "today", today + timedelta(days=1): "tomorrow"}.get(day, "")


def format_datetime(value):
    """A stored moment (UTC) as the programme's clocks show it: in its time zone (TIMEZONE), named
    ("5 October 2026, 10:30 EDT"), as live sessions' times are."""
    if value is None:
        return "—"
    moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(programme_zone())
    return f"{format_date(moment.date())}, {babel_time(moment, 'HH:mm', locale=_locale())} {moment.tzname()}"


def format_number(value, places=2):
    """A number with the page language's decimal mark and no trailing zeros ('1.5', '1,5', '10')."""
    return _decimal(round(value, places), "0." + "#" * places, _locale())


def format_count(value):
    """A whole count with the page language's grouping ('10,000', '10.000')."""
    return _decimal(value, None, _locale())


def format_percent(value):
    """A score out of 100 with a decimal where it has one, as the page's language writes it ('87.5%',
    '87,5 %', '100%')."""
    if value is None:
        return "—"
    return babel_percent(value / 100, format="#,##0.#%", locale=_locale())


def format_hours(minutes):
    """Minutes as hours, e.g. 90 -> '1.5 h' ('1,5 h' in Spanish), 600 -> '10 h'."""
    if minutes is None:
        return f"{format_number(0)} h"
    return f"{format_number(minutes / 60)} h"


# Details stored as text that a page writes in the reader's language: a day ("2026-12-01") and
# hours ("2.5 h", as live training credits were recorded).
STORED_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
STORED_HOURS = re.compile(r"(\d+(?:\.\d+)?) h")
STORED_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?")
# How a trainee came into a cohort, as the "how" detail stores it.
JOINED_HOW = {"administrator": _l("added by an administrator"), "invitation": _l("by invitation"),
              "self": _l("on their own"), "waiting list": _l("from the waiting list")}


def audit_value(value, key=None):
    """An audit detail (named ``key``) in the reader's words: lists joined, mappings as 'key: value'
    with domains named in the reader's language, days and hours written as the language writes them,
    moments in the programme's time zone, a credential by its title; minutes stay numbers."""
    if isinstance(value, dict):
        if set(value) == {"attendance", "minutes_missed"}:  # a mark at a live session, in the reader's words
            from training.cohorts.records import mark_words

            return mark_words(value["attendance"], value["minutes_missed"])
        # Keys are details (before and after a change) or, in hours credited, domains.
        from training.audit import DETAILS

        return "; ".join(f"{DETAILS[k] if k in DETAILS else local_domain_text(k)[0]}: {audit_value(v, k)}"
                         for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list | tuple):
        from training.auth.models import ROLES

        if value and all(isinstance(v, str) and v in ROLES for v in value):  # roles are stored by their key
            value = [ROLES[v] for v in value]
        shown = ", ".join(audit_value(v) for v in value[:8])
        return _("%(shown)s and %(num)d more", shown=shown, num=len(value) - 8) if len(value) > 8 else shown
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, str):
        if key == "how" and value in JOINED_HOW:
            return str(JOINED_HOW[value])
        if key == "credential":
            return credential_titles().get(value, value)
        if key == "kind":
            from training.supervision.models import KINDS

            return str(KINDS.get(value, value))
        if key == "domain":
            return local_domain_text(value)[0]
        if STORED_DAY.fullmatch(value):
            try:
                return format_date(date.fromisoformat(value))
            except ValueError:
                return value
        if STORED_MOMENT.fullmatch(value):
            try:
                return format_datetime(datetime.fromisoformat(value))
            except ValueError:
                return value
        hours = STORED_HOURS.fullmatch(value)
        if hours:
            return format_hours(round(float(hours.group(1)) * 60))
    return str(value)


def credential_titles():
    """Each credential's title in the reader's language, by slug, read once per request."""
    from sqlalchemy import select

    from training.credentials.models import Credential
    from training.extensions import db

    return _once_per_request("_credential_titles", lambda language: {
        c.slug: c.title_in(language) for c in db.session.scalars(select(Credential))})


def _once_per_request(name, read):
    """``read(language)`` for the reader's language, worked out once per request and language.

    Kept on the request, not on ``g``: an app context may outlive several requests."""
    from flask import has_request_context, request

    from training.i18n import current_language

    language = current_language()
    cache = vars(request).setdefault(name, {}) if has_request_context() else {}
    if language not in cache:
        cache[language] = read(language)
    return cache[language]


# --- Titles and domain names in the reader's language ---------------------------------------------

def in_language(text, language):
    """``text`` for a page, in a span that names its language when that is not the page's
    (English shown because no translation exists), so that screen readers pronounce it right."""
    from markupsafe import Markup, escape

    from training.i18n import current_language

    if not language or language == current_language():
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(language, text)


def local_title(item):
    """A credential's, course's or module's title in the reader's language, marked as English
    where it has no translation. For element content only: attributes and ``<option>`` s take
    ``credential.local_title`` or ``tr(item, "title")``."""
    from training.credentials.models import Credential
    from training.i18n import content_language, localized

    if isinstance(item, Credential):
        return in_language(item.local_title, item.local_title_language)
    return in_language(localized(item, "title"), content_language(item))


def domain_names():
    """Each domain's name in the reader's language, as the active credential files translate it
    (the first file to translate a name wins), read once per request."""
    from sqlalchemy import select

    from training.credentials.models import Credential
    from training.extensions import db
    from training.i18n import CONTENT_LANGUAGE

    def read(language):
        names = {}
        if language != CONTENT_LANGUAGE:
            for credential in db.session.scalars(select(Credential).where(Credential.active)
                                                 .order_by(Credential.id)):
                for domain, name in credential.words(language).get("domains", {}).items():
                    names.setdefault(domain, name)
        return names

    return _once_per_request("_domain_names", read)


def local_domain_text(domain, credential=None):
    """A training domain's name in the reader's language and the language it is written in: as
    ``credential`` translates it, else as any active credential does, else as written."""
    from training.i18n import CONTENT_LANGUAGE, current_language

    if credential is not None:
        name, language = credential.local_domain(domain)
        if language != CONTENT_LANGUAGE:
            return name, language
    name = domain_names().get(domain)
    return (name, current_language()) if name else (domain, CONTENT_LANGUAGE)


def local_domain(domain, credential=None):
    """A domain's name for a page, in the reader's language or marked as English."""
    return in_language(*local_domain_text(domain, credential))


def local_label(text, credential):
    """A label or title of ``credential``'s file for a page, in the reader's language or marked as English."""
    return in_language(*credential.local_label_language(text))


def evidence_title(evidence):
    """A piece of evidence's title for a page: as its credential names it in the reader's language,
    else as stored when it was given."""
    from training.credentials.services import evidence_title_text

    return in_language(*evidence_title_text(evidence))
