"""Formatting helpers for templates: dates and numbers in the language of the page."""
from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_percent
from flask_babel import get_locale
from flask_babel import gettext as _

# The day before the month in English too ("5 October 2026"), as the platform has always
# printed it; other languages use their own long form ("5 de octubre de 2026").
DATE_PATTERNS = {"en": "d MMMM y"}


def _locale():
    return get_locale() or Locale("en")


def format_date(value):
    if value is None:
        return "—"
    locale = _locale()
    return babel_date(value, DATE_PATTERNS.get(str(locale.language), "long"), locale=locale)


def format_datetime(value):
    if value is None:
        return "—"
    return f"{format_date(value.date())}, {babel_time(value, 'HH:mm', locale=_locale())} UTC"


def format_number(value, places=2):
    """A number with the page language's decimal mark and no trailing zeros ('1.5', '1,5', '10')."""
    return format_decimal(round(value, places), format="0." + "#" * places, locale=_locale())


def format_percent(value):
    """A score out of 100 with one decimal, as the page's language writes it ('87.5%', '87,5 %')."""
    if value is None:
        return "—"
    return babel_percent(value / 100, format="#,##0.0%", locale=_locale())


def format_hours(minutes):
    """Minutes as hours, e.g. 90 -> '1.5 h' ('1,5 h' in Spanish), 600 -> '10 h'."""
    if minutes is None:
        return f"{format_number(0)} h"
    return f"{format_number(minutes / 60)} h"


def audit_value(value):
    """An audit detail in words: lists joined, mappings as 'key: value', minutes left as numbers."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {audit_value(v)}" for k, v in value.items())
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
    return str(value)
