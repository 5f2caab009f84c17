"""Exports: approved hours as CSV, and the supervision verification report as PDF."""
import csv
import io
from datetime import date

from flask import current_app, render_template
from sqlalchemy import select

from training.credentials.evaluation import evaluate_one
from training.extensions import db
from training.supervision.models import KINDS, HourEntry
from training.supervision.services import current_supervisor

# Where a spreadsheet reads ";" as the cell separator, a value starting with it begins a new cell.
FORMULA_STARTS = ("=", "+", "-", "@", ";", "\t", "\r")


def safe_cell(value):
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def approved_entries(trainee, date_from=None, date_to=None):
    query = select(HourEntry).where(HourEntry.trainee_id == trainee.id, HourEntry.status == "approved")
    if date_from:
        query = query.where(HourEntry.occurred_on >= date_from)
    if date_to:
        query = query.where(HourEntry.occurred_on <= date_to)
    return list(db.session.scalars(query.order_by(HourEntry.occurred_on, HourEntry.id)))


def hours_csv(trainee):
    """Approved hours, one row per entry; opens cleanly in a spreadsheet (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)  # quoted, so no separator inside a value splits it
    writer.writerow(["Date", "Kind", "Supervision format", "Domain", "Hours", "Organisation or setting",
                     "Training provider", "Note", "Approved by", "Approved at (UTC)", "Signature hash"])
    for e in approved_entries(trainee):
        writer.writerow([safe_cell(v) for v in (
            e.occurred_on.isoformat(), KINDS[e.kind], e.supervision_format or "", e.domain,
            f"{e.minutes / 60:g}", e.organisation, e.provider, e.note, e.signed_name,
            e.reviewed_at.strftime("%Y-%m-%d %H:%M") if e.reviewed_at else "", e.signature_hash)])
    return "\ufeff" + out.getvalue()


def report_context(trainee, date_from=None, date_to=None):
    entries = approved_entries(trainee, date_from, date_to)
    evaluation = evaluate_one(trainee)
    credential = evaluation.credential if evaluation else None
    domains = list(credential.domains) if credential else sorted({e.domain for e in entries})
    table = {d: {"work": 0, "individual": 0, "group": 0, "training": 0} for d in domains}
    for e in entries:
        row = table.setdefault(e.domain, {"work": 0, "individual": 0, "group": 0, "training": 0})
        key = "work" if e.kind == "service" else ("training" if e.kind == "training" else
                                                  ("group" if e.supervision_format == "group" else "individual"))
        row[key] += e.minutes
    totals = {k: sum(r[k] for r in table.values()) for k in ("work", "individual", "group", "training")}
    supervisor = current_supervisor(trainee) or next((e.supervisor for e in reversed(entries) if e.supervisor), None)
    organisations = sorted({e.organisation for e in entries if e.organisation})
    first = date_from or (entries[0].occurred_on if entries else None)
    last = date_to or (entries[-1].occurred_on if entries else None)
    return {"trainee": trainee, "credential": credential, "entries": entries, "table": table, "totals": totals,
            "requirements": evaluation.items if evaluation else [],
            "supervisor": supervisor, "organisations": organisations, "period": (first, last),
            "generated_on": date.today(), "organisation_name": current_app.config["ORGANISATION_NAME"]}


def verification_report_pdf(trainee, date_from=None, date_to=None):
    """The verification report a board application can use, rendered by WeasyPrint."""
    from training.pdf import render_html_pdf

    return render_html_pdf(render_template("supervision/report_pdf.html",
                                           **report_context(trainee, date_from, date_to)))
