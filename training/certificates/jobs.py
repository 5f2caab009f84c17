"""Certificate work done by background jobs: issuing in bulk, and zip files of stored PDFs."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from training.extensions import db
from training.jobs import services as jobs
from training.jobs.services import JobItemFailed, JobKind, ZipOfPdfs, loaded_across_commits


def start_bulk_issue(actor, credential, users):
    """Issue ``credential`` to each of ``users`` in the background; returns the job showing progress."""
    return jobs.create("bulk_issue", actor, [(u.id, u.email) for u in users], {"credential_id": credential.id})


class BulkIssue(JobKind):
    """One certificate per item (a trainee): checked, issued, rendered and signed, as one issued alone."""

    roles = ("admin",)

    def title(self, job):
        from training.credentials.models import Credential

        credential = db.session.get(Credential, job.params["credential_id"])
        return _("Issuing %(credential)s certificates", credential=credential.local_title if credential else "")

    def process(self, job, key):
        from training.auth.models import User
        from training.certificates.services import issue
        from training.credentials.models import Credential

        trainee = db.session.get(User, int(key))
        if trainee is None:
            raise JobItemFailed(_l("This account no longer exists."))
        actor = db.session.get(User, job.started_by_id) if job.started_by_id else None
        issue(trainee, db.session.get(Credential, job.params["credential_id"]), actor=actor)

    def run_chunk(self, job, items, step):
        from training.auth.models import User
        from training.notifications.services import announcing_together

        with announcing_together(), loaded_across_commits():  # one background job tells the chunk's holders
            # The chunk's trainees and the job's starter, read once: ``process`` finds them in the
            # session, which keeps them as long as they are held here.
            ids = [int(item.key) for item in items] + [job.started_by_id]
            kept = db.session.scalars(db.select(User).where(User.id.in_(ids))).all()  # noqa: F841
            super().run_chunk(job, items, step)

    def links(self, job):
        return [(_("Issued certificates"), url_for("certificates.admin_list"))]


def start_zip(actor, certificates):
    """A zip of these certificates' PDFs, written to a file by a worker; returns the job."""
    from training.certificates.services import pdf_filename

    return jobs.create("certificates_zip", actor, [(c.id, pdf_filename(c)) for c in certificates])


class CertificatesZip(ZipOfPdfs):
    """Each item adds one certificate's stored PDF (rendered now if it never was) to the zip file."""

    prefix = "certificates"
    roles = ("admin",)

    def title(self, job):
        return ngettext("Zip file of %(num)d certificate", "Zip file of %(num)d certificates", job.total)

    def start_again(self, job):
        return _("Make a new zip from the issued certificates"), url_for("certificates.admin_list")

    def pdf(self, job, key):
        from training.certificates.models import Certificate
        from training.certificates.services import certificate_pdf

        certificate = db.session.get(Certificate, int(key))
        if certificate is None:
            raise JobItemFailed(_l("This certificate no longer exists."))
        return certificate_pdf(certificate)
