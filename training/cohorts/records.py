"""Attendance records for boards and files: a sign-in sheet per session and a report per
cohort, each as PDF (through the shared WeasyPrint renderer) and CSV."""
from datetime import date

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import pgettext

from training.cohorts.forms import ATTENDANCE_CHOICES
from training.cohorts.services import attendance_rate, attendance_report, local, roster, session_topic_in
from training.i18n import current_language, organisation_name
from training.pdf import render_html_pdf
from training.spreadsheet import csv_text

LABELS = dict(ATTENDANCE_CHOICES)


def _slug(text):
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def filename(session, extension):
    return f"sign-in-sheet-{_slug(session.cohort.title)}-{local(session.starts_at):%Y-%m-%d}.{extension}"


def report_filename(cohort, extension):
    return f"attendance-{_slug(cohort.title)}.{extension}"


def mark_text(attendance, not_yet_enrolled=False):
    """A trainee's mark at a session; "Not yet enrolled" for a session held before their place
    was given with no mark of theirs, rather than the absence nobody expected of them."""
    if not_yet_enrolled and attendance is None:
        return _("Not yet enrolled")
    if attendance is None:
        return ""
    return mark_words(attendance.status, attendance.minutes_missed)


def mark_words(status, minutes_missed):
    """An attendance mark in the reader's language: "Left early (60 min missed)"."""
    text = str(LABELS.get(status, status))
    if status in ("late", "left_early") and minutes_missed:
        text += " " + _("(%(minutes)s min missed)", minutes=minutes_missed)
    return text


def _csv(rows):
    return csv_text(rows, bom=True).encode("utf-8")


def _common():
    return {"organisation_name": organisation_name(), "today": date.today(),
            "timezone": current_app.config["TIMEZONE"], "local": local, "mark_text": mark_text}


def sign_in_sheet_pdf(session):
    return render_html_pdf(render_template("cohorts/sign_in_sheet_pdf.html", session=session, cohort=session.cohort,
                                           rows=roster(session), **_common()))


def sign_in_sheet_csv(session):
    start, end = local(session.starts_at), local(session.ends_at)
    rows = [[_("Cohort"), _("Session"), _("Date"), pgettext("time of day", "Start"), pgettext("time of day", "End"),
             _("Trainee"), _("E-mail"),
             _("Attendance"), _("Checked in at")]]
    for user, attendance, not_yet_enrolled in roster(session):
        checked = local(attendance.checked_in_at).strftime("%H:%M") if attendance and attendance.checked_in_at else ""
        rows.append([session.cohort.title, session_topic_in(session), start.date().isoformat(), start.strftime("%H:%M"),
                     end.strftime("%H:%M"), user.full_name, user.email, mark_text(attendance, not_yet_enrolled),
                     checked])
    return _csv(rows)


def report_pdf(cohort):
    records = attendance_report(cohort)
    domains = cohort.credential.domains if cohort.credential else []
    return render_html_pdf(render_template("cohorts/report_pdf.html", cohort=cohort, records=records,
                                           domains=domains, rate=attendance_rate(records, cohort), **_common()))


def report_csv(cohort):
    records = attendance_report(cohort)
    domains = cohort.credential.domains if cohort.credential else []
    sessions = cohort.sessions
    header = [_("Trainee"), _("E-mail")]
    header += [f"{local(s.starts_at):%Y-%m-%d} {session_topic_in(s)}" for s in sessions]
    header += [_("Sessions attended"), _("Sessions missed")]
    names = cohort.credential.words(current_language()).get("domains", {}) if cohort.credential else {}
    header += [_("%(domain)s (hours)", domain=names.get(d, d)) for d in domains] + [_("Total hours")]
    rows = [header]
    for record in records:
        row = [record.user.full_name, record.user.email]
        row += [mark_text(record.marks.get(s.id), record.not_yet_enrolled(s)) for s in sessions]
        row += [record.attended, record.missed]
        row += [f"{record.credited.get(d, 0) / 60:g}" for d in domains] + [f"{record.total / 60:g}"]
        rows.append(row)
    return _csv(rows)
