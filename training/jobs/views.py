"""Pages for background jobs: each person sees the jobs they started, their progress and failures."""
from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from training.errors import ServiceError
from training.extensions import db
from training.forms import ConfirmForm
from training.jobs import services
from training.jobs.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _own_job_or_404(job_id):
    job = db.session.get(Job, job_id)
    if job is None or job.started_by_id != current_user.id:
        abort(404)
    return job


@bp.route("")
@login_required
def index():
    """The jobs you started, newest first."""
    jobs = services.for_person(current_user)
    return render_template("jobs/index.html", jobs=[(job, services.title(job)) for job in jobs])


@bp.route("/<int:job_id>")
@login_required
def show(job_id):
    """A job's progress, what it made, and each item that failed with its reason, but for items about
    people the reader may no longer see, which are only counted."""
    job = _own_job_or_404(job_id)
    refusal = services.download_refusal(job, current_user)
    hidden = services.hidden_failures(job, current_user)
    return render_template("jobs/show.html", job=job, title=services.title(job),
                           links=services.links(job, downloadable=not refusal), refusal=refusal,
                           summary=services.summary(job, current_user), failures=services.failures(job, hidden=hidden),
                           hidden=len(hidden), hidden_note=hidden and services.hidden_note(job, current_user, len(hidden)),
                           expired=services.file_expired(job) and services.expiry_note(),
                           file_removed=services.file_removed(job), start_again=services.start_again(job),
                           stalled=services.stalled(job),
                           may_retry=not refusal and services.may_retry(job, current_user), form=ConfirmForm())


@bp.route("/<int:job_id>/retry", methods=["POST"])
@login_required
def retry(job_id):
    """Queue the failed items again."""
    job = _own_job_or_404(job_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refusal = services.download_refusal(job, current_user)
    if refusal:  # the file it would add to is no longer theirs
        flash(refusal, "error")
        return redirect(url_for("jobs.show", job_id=job.id))
    try:
        count = services.retry(job, current_user)
        flash(ngettext("%(num)d item queued again.", "%(num)d items queued again.", count), "success")
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/<int:job_id>/download")
@login_required
def download(job_id):
    """The file the job wrote, streamed from disk, while it is kept and still the starter's to read."""
    job = _own_job_or_404(job_id)
    if services.file_expired(job):  # gone for good, whether or not `jobs clean` has deleted it yet
        return render_template("errors/error.html", code=410, title=_("This file is no longer available"),
                               message=services.expiry_note(), action=services.start_again(job)), 410
    path = services.result_file(job)
    if path is None:
        abort(404)
    refusal = services.download_refusal(job, current_user)
    if refusal:
        return render_template("errors/error.html", code=403, title=_("This file is no longer yours to download"),
                               message=refusal), 403
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=path.name, max_age=0)
