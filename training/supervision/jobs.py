"""Supervision verification reports for many supervisees at once, as a zip file a worker writes."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from training.extensions import db
from training.jobs import services as jobs
from training.jobs.services import JobItemFailed, ZipOfPdfs


def report_filename(trainee):
    return f"supervision-report-{'-'.join(trainee.full_name.lower().split())}-{trainee.id}.pdf"


def start_reports(actor, trainees, date_from=None, date_to=None):
    """Each trainee's verification report for the period, in one zip file; returns the job."""
    params = {"date_from": date_from.isoformat() if date_from else None,
              "date_to": date_to.isoformat() if date_to else None}
    return jobs.create("supervision_reports", actor, [(t.id, report_filename(t)) for t in trainees], params)


class VerificationReports(ZipOfPdfs):
    """One supervision verification report per item (a supervisee of whoever started the job)."""

    prefix = "supervision-reports"

    def title(self, job):
        return ngettext("Supervision report for %(num)d supervisee", "Supervision reports for %(num)d supervisees",
                        job.total)

    def pdf(self, job, key):
        from training.auth.models import User
        from training.supervision.exports import find_scope, report_scopes, verification_report_pdf
        from training.supervision.services import supervisee_ids

        trainee, starter = db.session.get(User, int(key)), db.session.get(User, job.started_by_id)
        # Rights are checked when the report is made, not only when it was asked for.
        if trainee is None or starter is None or not (
                starter.is_admin or trainee.id in supervisee_ids(starter)):
            raise JobItemFailed(_l("You no longer supervise this person."))
        period = [date.fromisoformat(job.params[k]) if job.params.get(k) else None for k in ("date_from", "date_to")]
        # The report the starter signs (their own supervision of the trainee), else the trainee's first.
        scope = find_scope(report_scopes(trainee), None, starter)
        return verification_report_pdf(trainee, scope, *period)
