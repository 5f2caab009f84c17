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
