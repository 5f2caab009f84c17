"""Exports: approved hours as CSV, and the supervision verification report as PDF."""
import re
from dataclasses import dataclass
from datetime import date

from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select

from training.auth.models import User
from training.credentials.evaluation import evaluate
from training.extensions import db
from training.i18n import for_user, organisation_name
from training.pdf import page_size
from training.spreadsheet import csv_text
from training.supervision.explain import training_sources
from training.supervision.models import HourEntry
from training.templating import local_domain_text

ATTESTED = ("service", "supervision")  # what a supervisor signs for; training comes from elsewhere

def approved_entries(trainee, date_from=None, date_to=None):
    query = select(HourEntry).where(HourEntry.trainee_id == trainee.id, HourEntry.status == "approved")
    if date_from:
        query = query.where(HourEntry.occurred_on >= date_from)
    if date_to:
        query = query.where(HourEntry.occurred_on <= date_to)
    return list(db.session.scalars(query.order_by(HourEntry.occurred_on, HourEntry.id)))


def hours_csv(trainee):
    """Approved hours, one row per entry; opens cleanly in a spreadsheet (UTF-8 with BOM)."""
    # Headers and labels in the reader's language; dates, times and numbers stay in the forms
    # every spreadsheet reads.
    rows = [[_("Date"), _("Kind"), _("Supervision format"), _("Domain"), _("Hours"), _("Organisation or setting"),
             _("Training provider"), _("Note"), _("Approved by"), _("Approved at (UTC)"), _("Signature hash")]]
    rows += [[e.occurred_on.isoformat(), e.kind_label, e.format_label,
              local_domain_text(e.domain)[0] if e.domain else "", f"{e.minutes / 60:g}", e.organisation, e.provider,
              e.note, e.signed_name, e.reviewed_at.strftime("%Y-%m-%d %H:%M") if e.reviewed_at else "",
              e.signature_hash] for e in approved_entries(trainee)]
    return csv_text(rows, bom=True)


@dataclass(frozen=True)
class ReportScope:
    """One verification report: the work and supervision one supervisor signed at one organisation."""

    supervisor: object
    organisation: str
    entries: int = 0
    minutes: int = 0

    @property
    def key(self):
        return f"{self.supervisor.id}:{self.organisation}"

    @property
    def label(self):
        where = self.organisation or _("organisation not recorded")
        return _("%(supervisor)s at %(organisation)s", supervisor=self.supervisor.full_name, organisation=where)


def _attested(trainee, date_from=None, date_to=None):
    """Approved work and supervision of ``trainee`` (what a supervisor attests), optionally in a period."""
    query = select(HourEntry).where(HourEntry.trainee_id == trainee.id, HourEntry.status == "approved",
                                    HourEntry.kind.in_(ATTESTED), HourEntry.supervisor_id.is_not(None))
    if date_from:
        query = query.where(HourEntry.occurred_on >= date_from)
    if date_to:
        query = query.where(HourEntry.occurred_on <= date_to)
    return query


def _organisation(organisation, supervisor):
    # Supervision logged by a supervisor names no setting: it took place at the supervisor's organisation.
    return organisation or supervisor.organisation_name


def report_scopes(trainee, date_from=None, date_to=None):
    """The reports a trainee's approved work and supervision make: one per supervisor and organisation,
    in the order of the supervisors' names (for each, named organisations first)."""
    sub = _attested(trainee, date_from, date_to).subquery()
    rows = db.session.execute(select(sub.c.supervisor_id, sub.c.organisation, func.count(), func.sum(sub.c.minutes))
                              .group_by(sub.c.supervisor_id, sub.c.organisation)).all()
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r[0] for r in rows})))}
    merged = {}
    for supervisor_id, organisation, count, minutes in rows:
        supervisor = people[supervisor_id]
        key = (supervisor_id, _organisation(organisation, supervisor))
        entries, total = merged.get(key, (0, 0))
        merged[key] = (entries + count, total + int(minutes or 0))
    scopes = [ReportScope(people[sid], org, n, m) for (sid, org), (n, m) in merged.items()]
    return sorted(scopes, key=lambda s: (s.supervisor.full_name.lower(), s.supervisor.id, not s.organisation,
                                         s.organisation.lower()))


def find_scope(scopes, key, viewer):
    """The scope named by ``key``; without one, the viewer's own first report, else the first; None if none."""
    if key:
        return next((s for s in scopes if s.key == key), None)
    return next((s for s in scopes if s.supervisor.id == viewer.id), scopes[0] if scopes else None)


def _scope_entries(trainee, scope, date_from, date_to):
    query = _attested(trainee, date_from, date_to).where(HourEntry.supervisor_id == scope.supervisor.id)
    if scope.organisation and scope.organisation == scope.supervisor.organisation_name:
        query = query.where(HourEntry.organisation.in_([scope.organisation, ""]))
    else:
        query = query.where(HourEntry.organisation == scope.organisation)
    return list(db.session.scalars(query.order_by(HourEntry.occurred_on, HourEntry.id)))


DAYS_A_MONTH = 365.25 / 12


def supervision_frequency(entries, period=None):
    """How often supervision happened in a report: sessions, days, the longest gap, and days a month
    on average over the report's ``period`` (first day, last day; by default the first and last
    supervision), counted as at least a month. The period is not rounded to whole months: three
    sessions over six weeks are two a month, not three."""
    days = sorted({e.occurred_on for e in entries if e.kind == "supervision"})
    gaps = [(later - earlier).days for earlier, later in zip(days, days[1:], strict=False)]
    sessions = sum(1 for e in entries if e.kind == "supervision")
    first, last = period if period and all(period) else ((days[0], days[-1]) if days else (None, None))
    months = max(1, ((last - first).days + 1) / DAYS_A_MONTH) if days else 0
    return {"sessions": sessions, "days": len(days), "first": days[0] if days else None,
            "last": days[-1] if days else None, "longest_gap": max(gaps) if gaps else None,
            "per_month": round(len(days) / months, 1) if months else 0}


def _in_report(key, table, totals):
    """The hours of this report that count toward the checklist item ``key``, or None for items
    a supervisor does not attest (courses, training, exams)."""
    if key == "work":
        return totals["work"]
    if key == "supervision":
        return totals["individual"] + totals["group"]
    if key == "supervision:individual":
        return totals["individual"]
    if key.startswith("supervision:"):
        row = table.get(key.split(":", 1)[1], {})
        return row.get("individual", 0) + row.get("group", 0)
    return None


def report_context(trainee, scope, date_from=None, date_to=None):
    """Everything the verification report prints for one supervisor and organisation."""
    entries = _scope_entries(trainee, scope, date_from, date_to) if scope else []
    evaluations = evaluate([trainee]).get(trainee.id, [])
    evaluation = evaluations[0] if evaluations else None
    credential = evaluation.credential if evaluation else None
    domains = list(evaluation.compiled.domains) if evaluation else sorted({e.domain for e in entries})
    table = {d: {"work": 0, "individual": 0, "group": 0} for d in domains}
    for e in entries:
        row = table.setdefault(e.domain, {"work": 0, "individual": 0, "group": 0})
        row["work" if e.kind == "service" else
            ("group" if e.supervision_format == "group" else "individual")] += e.minutes
    totals = {k: sum(r[k] for r in table.values()) for k in ("work", "individual", "group")}
    # Every credential the candidate works toward, each with its own requirements and frequency rule.
    standings = [{"credential": ev.credential,
                  "rows": [{"item": item, "in_report": _in_report(item.key, table, totals)} for item in ev.items],
                  "frequency_rule": ev.compiled.frequency,
                  "frequency_item": next((i for i in ev.items if i.key == "supervision_frequency"), None)}
                 for ev in evaluations]
    training, training_lines = training_sources(trainee, domains)
    first = date_from or (entries[0].occurred_on if entries else None)
    last = date_to or (entries[-1].occurred_on if entries else None)
    return {"trainee": trainee, "credential": credential, "credentials": [ev.credential for ev in evaluations],
            "entries": entries, "table": table, "totals": totals, "standings": standings, "scope": scope,
            "supervisor": scope.supervisor if scope else None, "frequency": supervision_frequency(entries, (first, last)),
            "training": training, "training_lines": training_lines, "period": (first, last),
            "generated_on": date.today(), "organisation_name": organisation_name(),
            "paper": page_size(), "page_counter": page_counter()}


def _css_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page_counter():
    """The footer's "Page 2 of 5" in the page's language, as CSS ``content``."""
    text = _("Page %(page)s of %(pages)s", page="\x00", pages="\x01")
    counters = {"\x00": "counter(page)", "\x01": "counter(pages)"}
    return Markup(" ".join(counters.get(piece) or _css_string(piece)
                           for piece in re.split("(\x00|\x01)", text) if piece))


def verification_report_pdf(trainee, scope, date_from=None, date_to=None):
    """The verification report of one supervisor and organisation that a board application can use."""
    from training.pdf import render_html_pdf

    # In the candidate's language, whoever asks for it: it is their document for their application.
    with for_user(trainee):
        return render_html_pdf(render_template("supervision/report_pdf.html",
                                               **report_context(trainee, scope, date_from, date_to)))
