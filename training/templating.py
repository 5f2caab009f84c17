"""Formatting helpers for templates."""


def format_date(value):
    if value is None:
        return "—"
    return f"{value.day} {value:%B %Y}"


def format_datetime(value):
    if value is None:
        return "—"
    return f"{value.day} {value:%B %Y, %H:%M} UTC"


def format_hours(minutes):
    """Minutes as hours, e.g. 90 -> '1.5 h', 600 -> '10 h'."""
    if minutes is None:
        return "0 h"
    hours = minutes / 60
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return f"{text} h"


def audit_value(value):
    """An audit detail in words: lists joined, mappings as 'key: value', minutes left as numbers."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {audit_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        shown = [audit_value(v) for v in value[:8]]
        return ", ".join(shown) + (f" and {len(value) - 8} more" if len(value) > 8 else "")
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)
