"""Small accessible SVG charts drawn on the server; each page shows a table beside them.

Every chart is drawn twice: 720 units wide for wide screens and 360 for phones, where a wide
drawing shrunk to fit would have unreadable labels and one kept at its size would be cut off.
The stylesheet shows one of the two (``chart-wide`` / ``chart-narrow``); the hidden one is
``display: none``, so screen readers meet each chart once.
"""
import textwrap

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from training.templating import format_number

COLOURS = {"service": "#1f5f5b", "training": "#b4530a", "supervision": "#5b4a9e"}
LABELS = {"service": _l("Peer support work"), "training": _l("Training"), "supervision": _l("Supervision")}
WIDE, NARROW = 720, 360


def short_day(day):
    """A day and the month's abbreviation in the page's language ("5 Oct", "5 oct")."""
    return format_date(day, "d MMM")


def _svg(width, height, title, description, body):
    ident = f"{title[0]}-{'narrow' if width == NARROW else 'wide'}"
    variant = "chart-narrow" if width == NARROW else "chart-wide"
    return Markup(
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident} {ident}-desc" '
        f'class="chart {variant}" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{ident}">{escape(title[1])}</title><desc id="{ident}-desc">{escape(description)}</desc>'
        f"{body}</svg>")


def _both(draw, *args, **kwargs):
    return Markup("").join(draw(*args, width=width, **kwargs) for width in (WIDE, NARROW))


def weekly_chart(weeks):
    """Stacked bars of approved hours per week and kind."""
    return _both(_weekly, weeks)


def _weekly(weeks, width):
    height, left, bottom = 240, (40 if width == WIDE else 28), 28
    peak = max([sum(kinds.values()) for _, kinds in weeks] + [60])
    top_hours = max(1, -(-peak // 60))
    scale = (height - bottom - 10) / (top_hours * 60)
    bar = (width - left) / max(len(weeks), 1)
    gap = 4 if width == WIDE else 2
    parts = []
    for step in range(0, top_hours + 1, max(1, top_hours // 4)):
        y = height - bottom - step * 60 * scale
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dad2"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#4f5d6b">'
                     f"{step}</text>")
    for index, (start, kinds) in enumerate(weeks):
        x, y = left + index * bar + gap / 2, height - bottom
        for kind in ("service", "training", "supervision"):
            h = kinds[kind] * scale
            if h:
                y -= h
                title = escape(_("%(kind)s, week of %(day)s: %(hours)s h", kind=LABELS[kind], day=short_day(start),
                                 hours=format_number(kinds[kind] / 60)))
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - gap:.1f}" height="{h:.1f}" '
                             f'fill="{COLOURS[kind]}"><title>{title}</title></rect>')
        if index % _tick_every(width) == 0:
            parts.append(_tick(x + (bar - gap) / 2, height - 10, start, width))
    total = sum(sum(k.values()) for _, k in weeks) / 60
    return _svg(width, height, ("weekly-title", _("Approved hours per week, last 26 weeks")),
                _("Stacked bars by kind of hours; %(total)s hours in all. The table below lists every week.",
                  total=format_number(total)),
                "".join(parts))


def _tick_every(width):
    """Weeks between two dates on the axis: a date is about 40 units wide at any drawing's size."""
    return 4 if width == WIDE else 6


def _tick(x, y, day, width):
    """A date under the horizontal axis, kept inside the drawing at both ends."""
    anchor = "middle"
    if x < 20:
        anchor = "start"
    elif x > width - 20:
        anchor = "end"
    return (f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}" font-size="11" fill="#4f5d6b">'
            f"{escape(short_day(day))}</text>")


def progress_chart(requirements, key="progress"):
    """Horizontal bars: share of each requirement done (``key`` keeps ids unique on a page)."""
    return _both(_progress, requirements, key)


# Characters of a requirement's name per line: in the wide drawing the name ends before the bar at
# 300 units, in the narrow one at the drawing's edge (12-unit type, about 7 units a character).
LABEL_CHARACTERS = {WIDE: 42, NARROW: 52}
LINE = 15


def _label_lines(label, width):
    """A requirement's name on as many lines as it needs, whole words kept together where they fit."""
    return textwrap.wrap(str(label), LABEL_CHARACTERS[width], break_on_hyphens=False) or [""]


def _progress(requirements, key, width):
    # Wide: the name, the bar and the percentage side by side. Narrow: the name above a full-width bar.
    # A long name wraps onto more lines, and its row grows to hold them.
    wide = width == WIDE
    bar_x, bar_width = (300, 340) if wide else (0, 300)
    parts, y = [], 6
    for req in requirements:
        lines = _label_lines(req.label, width)
        bar_dy = max(3, (len(lines) - 1) * LINE // 2 + 3) if wide else len(lines) * LINE + 6
        row = max(34, len(lines) * LINE + 12) if wide else bar_dy + 16 + 12
        tspans = "".join(f'<tspan x="0" dy="{0 if i == 0 else LINE}">{escape(line)}</tspan>'
                         for i, line in enumerate(lines))
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12" fill="#1d2733">{tspans}</text>'
            f'<rect x="{bar_x}" y="{y + bar_dy}" width="{bar_width}" height="16" rx="8" fill="#e2e6df"/>'
            f'<rect x="{bar_x}" y="{y + bar_dy}" width="{bar_width / 100 * min(req.percent, 100):.1f}" height="16" '
            f'rx="8" fill="{"#1d6b35" if req.met else "#1f5f5b"}"/>'
            f'<text x="{width}" y="{y + bar_dy + 12}" font-size="12" text-anchor="end" fill="#1d2733">'
            f"{req.percent}%</text>")
        y += row
    height = max(y, 34 + 6) + 4
    return _svg(width, height, (f"{key}-title", _("Progress toward each requirement")),
                _("Each bar shows the share of a requirement done; the table beside gives the hours."), "".join(parts))


def wellbeing_chart(checkins):
    """A line of the daily wellbeing score (1-5)."""
    if not checkins:
        return Markup("")
    return _both(_wellbeing, checkins)


def _wellbeing(checkins, width):
    height, left = 200, 30
    first, last = checkins[0].day, checkins[-1].day
    span = max((last - first).days, 1)

    def point(c):
        x = left + (c.day - first).days / span * (width - left - 10)
        y = 10 + (5 - c.score) / 4 * (height - 40)
        return x, y

    parts = [f'<line x1="{left}" x2="{width}" y1="{10 + (5 - v) / 4 * (height - 40):.1f}" '
             f'y2="{10 + (5 - v) / 4 * (height - 40):.1f}" stroke="#d5dad2"/>'
             f'<text x="{left - 6}" y="{14 + (5 - v) / 4 * (height - 40):.1f}" font-size="11" text-anchor="end" '
             f'fill="#4f5d6b">{v}</text>' for v in range(1, 6)]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(point, checkins))
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f5f5b" stroke-width="2.5"/>')
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#1f5f5b"/>' for x, y in map(point, checkins)]
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="11" fill="#4f5d6b">{escape(short_day(first))}</text>')
    if last != first:  # one day of check-ins is named once, under its point
        parts.append(f'<text x="{width}" y="{height - 6}" font-size="11" text-anchor="end" fill="#4f5d6b">'
                     f"{escape(short_day(last))}</text>")
    return _svg(width, height, ("wellbeing-title", _("Your wellbeing score over time")),
                _("Daily score from 1 (struggling) to 5 (doing well); the table below lists each check-in."),
                "".join(parts))


def cumulative_chart(lines):
    """Lines of the share of each requirement done, week by week."""
    if not lines:
        return Markup("")
    return _both(_cumulative, lines)


def _cumulative(lines, width):
    height, left, bottom = 220, 40, 28
    weeks = len(lines[0][1])
    step = (width - left - 10) / max(weeks - 1, 1)
    colours = ["#1f5f5b", "#5b4a9e", "#b4530a"]

    def y(percent):
        return 10 + (100 - percent) / 100 * (height - bottom - 10)

    parts = [f'<line x1="{left}" x2="{width}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#d5dad2"/>'
             f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" fill="#4f5d6b">{v}%</text>'
             for v in (0, 25, 50, 75, 100)]
    for index, (req, points) in enumerate(lines):
        coords = " ".join(f"{left + i * step:.1f},{y(p):.1f}" for i, (_, p) in enumerate(points))
        colour = colours[index % len(colours)]
        dash = ' stroke-dasharray="6 4"' if index % 2 else ""
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}>'
                     f"<title>{escape(req.label)}</title></polyline>")
    for i, (start, _share) in enumerate(lines[0][1]):
        if i % _tick_every(width) == 0:
            parts.append(_tick(left + i * step, height - 10, start, width))
    return _svg(width, height, ("cumulative-title", _("Cumulative progress toward the work and supervision "
                                                      "requirements")),
                _("Lines show the share of each requirement done at the end of each week; the table lists the "
                  "values."),
                "".join(parts))
