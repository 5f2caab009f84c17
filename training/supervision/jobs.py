"""Supervision verification reports for many supervisees at once, as a zip file a worker writes."""
import re
import zipfile
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from training.extensions import db
from training.jobs import services as jobs
from training.jobs.services import JobItemFailed, ZipOfPdfs, add_to_params


def report_filename(trainee):
    """A plain file name: a name's slashes, dots and colons would make a path inside the zip file
    (placing the report outside the folder it is unpacked into) or a name some systems refuse."""
    words = "-".join(re.findall(r"\w+", trainee.full_name.lower()))
    return f"supervision-report-{words}-{trainee.id}.pdf"


def start_reports(actor, trainees, date_from=None, date_to=None):
    """Each trainee's verification report for the period, in one zip file; returns the job."""
    params = {"date_from": date_from.isoformat() if date_from else None,
              "date_to": date_to.isoformat() if date_to else None, "nothing_attested": []}
    return jobs.create("supervision_reports", actor, [(t.id, report_filename(t)) for t in trainees], params)


NOTHING_ATTESTED = _l("These supervisees have no approved work or supervision to attest, so this file holds no "
                     "report for them:")


class VerificationReports(ZipOfPdfs):
    """Each supervisee's verification reports (one per work setting) for whoever started the job.

    A supervisee with nothing attested gets no empty report: they are named in a note in the zip
    and in the job's summary instead."""

    prefix = "supervision-reports"
    roles = ("supervisor",)

    def title(self, job):
        return ngettext("Supervision report for %(num)d supervisee", "Supervision reports for %(num)d supervisees",
                        job.total)

    def start_again(self, job):
        return _("Make new reports from your supervisees’ page"), url_for("supervision.supervisees")

    def out_of_sight(self, job, user, keys):
        """The people ``user`` no longer supervises (an administrator sees everyone's records): the one
        rule for making a report, showing who an item is about, and downloading the file."""
        from training.supervision.services import supervisee_ids

        hidden = super().out_of_sight(job, user, keys)
        if hidden or user.is_admin or not keys:
            return hidden
        supervised = supervisee_ids(user)
        return {key for key in keys if int(key) not in supervised}

    def hidden_note(self, user, count):
        if self.role_lost(user):
            return super().hidden_note(user, count)
        return ngettext("%(num)d item about someone you no longer supervise is hidden and is not retried.",
                        "%(num)d items about people you no longer supervise are hidden and are not retried.", count)

    def download_refusal(self, job, user):
        """As when the reports are made: the starter must still supervise everyone the file was made for."""
        from sqlalchemy import select

        from training.jobs.models import JobItem

        refusal = super().download_refusal(job, user)
        if refusal:
            return refusal
        # The people in the file: an item that failed wrote nothing (see ``run_chunk``).
        gone = len(self.out_of_sight(job, user, list(db.session.scalars(select(JobItem.key).where(
            JobItem.job_id == job.id, JobItem.status == "done")))))
        if gone:
            return _("You no longer supervise %(num)d of the people in this file, so it is no longer yours to "
                     "download. Start the reports again for the people you supervise now.", num=gone)
        return None

    def summary(self, job, user=None):
        """Who has nothing attested, named only while ``user`` may still see them. A job from before
        they were kept by key has its summary as written, shown only while its file is ``user``'s to
        download (they still see everyone in it)."""
        from sqlalchemy import select

        from training.auth.models import User

        keys = job.params.get("nothing_attested")
        if keys is None:
            return job.summary if user is None or not self.download_refusal(job, user) else ""
        hidden = self.out_of_sight(job, user, keys) if user is not None else set()
        names = list(db.session.scalars(select(User.full_name).where(
            User.id.in_([int(key) for key in keys if key not in hidden])).order_by(User.name_key, User.id)))
        if hidden:
            names.append(ngettext("%(num)d person you no longer supervise", "%(num)d people you no longer supervise",
                                  len(hidden)))
        return " ".join([str(NOTHING_ATTESTED), ", ".join(names) + "."]) if names else ""

    def scopes(self, job, key):
        """The trainee and the reports to make for them: those the starter signs (their own
        supervision of the trainee, at each setting), else every report the trainee's approved hours make."""
        from training.auth.models import User
        from training.supervision.exports import report_scopes

        trainee, starter = db.session.get(User, int(key)), db.session.get(User, job.started_by_id)
        # Rights are checked when the report is made, not only when it was asked for.
        if trainee is None or starter is None or self.out_of_sight(job, starter, [key]):
            raise JobItemFailed(_l("You no longer supervise this person."))
        scopes = report_scopes(trainee)
        return trainee, [s for s in scopes if s.supervisor.id == starter.id] or scopes

    def run_chunk(self, job, items, step):
        from training.auth.models import User
        from training.i18n import for_user
        from training.supervision.exports import verification_report_pdf

        period = [date.fromisoformat(job.params[k]) if job.params.get(k) else None for k in ("date_from", "date_to")]
        nothing = []  # the people with nothing attested, by key: the page names them to whoever may see them
        with zipfile.ZipFile(self.path(job), "a", zipfile.ZIP_STORED) as archive:
            present = set(archive.namelist())
            for item in items:
                error = None
                try:
                    trainee, scopes = self.scopes(job, item.key)
                    note = item.label.removesuffix(".pdf") + "-no-report.txt"
                    if not scopes:
                        nothing.append(item.key)
                    if not scopes and note not in present:  # a chunk run again writes it once
                        with for_user(db.session.get(User, job.started_by_id)):  # in the reader's language
                            archive.writestr(note, f"{NOTHING_ATTESTED}\n\n{trainee.full_name}\n")
                        present.add(note)
                    # Every report of the person is made before any is written: an item that fails leaves
                    # nothing of theirs in the file, so the file holds only the people whose items are done.
                    reports = [(name, verification_report_pdf(trainee, scope, *period)) for name, scope
                               in zip(report_names(item.label, scopes), scopes, strict=True) if name not in present]
                    for name, pdf in reports:
                        archive.writestr(name, pdf)
                        present.add(name)
                except Exception as exc:
                    error = self._failure(job, item, exc)
                step(item, error)
            if nothing:
                add_to_params(job, "nothing_attested", nothing)
                db.session.commit()


def _words(text):
    return "-".join(re.findall(r"\w+", text.lower()))


def report_names(label, scopes):
    """Each report's file name in the zip: the supervisee's alone for one report; else with the setting
    it is about, the supervisor's name where two share a setting, and a number where even those are
    alike (names typed differently on entries), so that no report takes another's place."""
    if len(scopes) == 1:
        return [label]
    stem = label.removesuffix(".pdf")
    settings = [(_words(s.organisation) or "organisation-not-recorded")[:60] for s in scopes]
    names = [f"{stem}-{setting}" if settings.count(setting) == 1 else f"{stem}-{setting}-{_words(s.supervisor.full_name)}"
             for setting, s in zip(settings, scopes, strict=True)]
    unique = []
    for name in names:
        number, candidate = 1, name
        while candidate in unique:
            number += 1
            candidate = f"{name}-{number}"
        unique.append(candidate)
    return [f"{name}.pdf" for name in unique]
