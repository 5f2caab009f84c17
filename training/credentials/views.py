from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from training.auth.access import roles_required
from training.auth.models import User
from training.credentials.eligibility import certificates_held, eligible_count
from training.credentials.evaluation import compile_credentials, evaluate
from training.credentials.forms import EndEnrolmentForm, EnrolForm, RecordForm, ReviewEvidenceForm, SignForm, UploadForm
from training.credentials.models import Credential, Enrolment, Evidence, by_local_title
from training.credentials.schema import walk
from training.credentials.services import (
    credential_by_slug,
    credentials_for,
    end_enrolment,
    enrol,
    evidence_counts,
    evidence_title_text,
    evidence_waiting,
    evidence_waiting_before,
    record_evidence,
    requirement_spec,
    review_evidence,
    sign,
    submit_document,
    text_to_sign,
)
from training.errors import ServiceError
from training.extensions import db
from training.forms import choices, show_error
from training.http import content_disposition, paginate
from training.i18n import current_language
from training.templating import format_date

bp = Blueprint("credentials", __name__)
EVIDENCE_KINDS = ("document", "signature", "external_exam")
EVIDENCE_PER_PAGE = 25  # each with its own review form


def _credential_or_404(slug):
    credential = credential_by_slug(slug)
    if credential is None or not credential.active:
        abort(404)
    return credential


# --- Trainees ------------------------------------------------------------------------------------

@bp.route("/credentials/<credential_slug>/evidence/<key>", methods=["GET", "POST"])
@roles_required("trainee")
def evidence(credential_slug, key):
    """Sign a text or upload a document that a credential asks for, and see what was sent."""
    credential = _credential_or_404(credential_slug)
    spec = requirement_spec(credential, key)
    if spec is None or spec.kind not in EVIDENCE_KINDS or credential not in credentials_for(current_user):
        abort(404)
    form = SignForm(prefix="sign") if spec.kind == "signature" else UploadForm(prefix="upload")
    if spec.kind != "external_exam" and getattr(spec, "provided_by", "trainee") == "trainee" \
            and form.validate_on_submit():
        try:
            if spec.kind == "signature":
                sign(current_user, credential, key, form.signed_name.data, form.text_language.data,
                     form.text_sha256.data)
                flash(_("Signed. Thank you."), "success")
            else:
                from training.supervision.services import read_upload

                upload = form.file.data
                attachment = read_upload(upload, current_user, field="file", what="document") \
                    if upload is not None and upload.filename else None
                if attachment is not None:
                    db.session.add(attachment)
                    db.session.flush()
                submit_document(current_user, credential, key, attachment, form.note.data)
                flash(_("Sent. Your programme administrator will review it."), "success")
        except ServiceError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            return redirect(url_for("credentials.evidence", credential_slug=credential_slug, key=key))
    history = list(db.session.scalars(select(Evidence).where(Evidence.user_id == current_user.id, Evidence.key == key)
                                      .order_by(Evidence.created_at.desc(), Evidence.id.desc())))
    shown = None
    if spec.kind == "signature":
        # The text in the reader's language; the form carries what was shown, so that the
        # signature records exactly that text.
        text, written_in, digest = text_to_sign(credential, spec, current_language())
        shown = (text, written_in)
        form.text_language.data, form.text_sha256.data = current_language(), digest
    elif spec.kind == "document":
        shown = credential.local_text(spec.key, spec.description)
    return render_template("credentials/evidence.html", credential=credential, spec=spec, form=form,
                           history=history, shown=shown), 400 if form.errors else 200


@bp.route("/evidence/<int:evidence_id>/file")
@roles_required("trainee", "admin")
def evidence_file(evidence_id):
    """The file sent as evidence, for its owner and administrators."""
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.attachment is None or not (item.user_id == current_user.id or current_user.is_admin):
        abort(404)
    file = item.attachment
    return Response(file.data, mimetype=file.content_type, headers={
        "Content-Disposition": content_disposition(file.filename), "X-Content-Type-Options": "nosniff"})


# --- Administrators ----------------------------------------------------------------------------------

@bp.route("/admin/credentials")
@roles_required("admin")
def admin_list():
    """Every credential with its requirements in words and how many trainees are enrolled and eligible."""
    credentials = by_local_title(db.session.scalars(select(Credential)))
    enrolled = dict(db.session.execute(select(Enrolment.credential_id, func.count()).where(Enrolment.ended_on.is_(None))
                                       .group_by(Enrolment.credential_id)).all())
    compiled = compile_credentials(credentials)
    return render_template("credentials/admin_list.html", credentials=credentials, compiled=compiled,
                           enrolled=enrolled, eligible={c.id: eligible_count(c) for c in credentials},
                           waiting=db.session.scalar(select(func.count()).select_from(Evidence)
                                                     .where(Evidence.status == "submitted")))


@bp.route("/admin/evidence")
@roles_required("admin")
def admin_evidence():
    """Documents trainees sent, waiting for review, a page at a time, oldest first. A link to one
    document (``evidence``, from its notification) opens the page that lists it."""
    page = request.args.get("page", 1, type=int)
    linked = request.args.get("evidence", type=int)
    if linked is not None and "page" not in request.args:
        item = db.session.get(Evidence, linked)
        if item is not None and item.status == "submitted":
            page = evidence_waiting_before(item) // EVIDENCE_PER_PAGE + 1
    pagination = paginate(evidence_waiting(), page, per_page=EVIDENCE_PER_PAGE)
    forms = {item.id: _review_form(item) for item in pagination.items}
    return render_template("credentials/admin_evidence.html", pagination=pagination, review_forms=forms)


def _review_form(item):
    """The review form of one piece of evidence: it asks for a number only where the requirement
    the evidence is for counts one, and names what it counts."""
    form = ReviewEvidenceForm(prefix=f"e{item.id}")
    counted = evidence_counts(item)
    if counted is None:
        del form.quantity
    else:
        form.quantity.label.text = _("Number of %(what)s verified", what=counted)
    return form


@bp.route("/admin/evidence/<int:evidence_id>", methods=["POST"])
@roles_required("admin")
def admin_review(evidence_id):
    """Accept a document, or return it with a reason."""
    item = db.get_or_404(Evidence, evidence_id)
    form = _review_form(item)
    if form.validate_on_submit():
        quantity = form.quantity.data if form.quantity is not None else None
        try:
            review_evidence(current_user, item, form.decision.data, form.reason.data,
                            float(quantity) if quantity is not None else None)
        except ServiceError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("%(title)s of %(name)s: %(status)s.", title=evidence_title_text(item)[0], name=item.user.full_name,
                    status=item.status_label.lower()), "success")
            return redirect(url_for("credentials.admin_evidence", page=_page_asked()))
    pagination = paginate(evidence_waiting(), _page_asked() or 1, per_page=EVIDENCE_PER_PAGE)
    forms = {i.id: (form if i.id == item.id else _review_form(i)) for i in pagination.items}
    return render_template("credentials/admin_evidence.html", pagination=pagination, review_forms=forms), 400


def _page_asked():
    """The page of the evidence list a decision was made on, to go back to it (None for the first)."""
    page = request.args.get("page", type=int)
    return page if page and page > 1 else None


def _person_forms(person, credentials):
    enrol_form = EnrolForm(prefix="enrol")
    enrol_form.credential.choices = choices([("", _("Choose…")), *((c.slug, c.local_title) for c in credentials)])
    record_form = RecordForm(prefix="record")
    options = [("", _("Choose…"))]
    working_toward = {c.id for c in credentials_for(person)}  # evidence for another credential would count for nothing
    for credential in (c for c in credentials if c.id in working_toward):
        for _path, spec in walk(credential.spec.requirements):
            if spec.kind == "external_exam" or (spec.kind == "document"):
                value = f"{credential.slug}:{spec.key}"
                options.append((value, f"{credential.local_title}: {credential.local_label(spec.title)}"))
    record_form.key.choices = choices(options)
    return enrol_form, record_form


def person_enrolments(person):
    return list(db.session.scalars(select(Enrolment).where(Enrolment.user_id == person.id)
                                   .order_by(Enrolment.started_on)))


def _enrolled_words(credential, before, enrolment):
    """What enrolling did: a new enrolment, one started again, or its date moved."""
    if before is None:
        return _("Enrolled in %(title)s.", title=credential.local_title)
    started_on, ended_on = before
    if ended_on is not None:
        return _("Enrolled again in %(title)s, from %(day)s.", title=credential.local_title,
                 day=format_date(enrolment.started_on))
    return _("Enrolment date in %(title)s changed from %(before)s to %(after)s.", title=credential.local_title,
             before=format_date(started_on), after=format_date(enrolment.started_on))


@bp.route("/admin/people/<int:user_id>/credentials", methods=["GET", "POST"])
@roles_required("admin")
def admin_person(user_id):
    """A trainee's enrolments, checklists and evidence; enrol, end an enrolment, record evidence."""
    person = db.get_or_404(User, user_id)
    credentials = by_local_title(db.session.scalars(select(Credential).where(Credential.active)))
    enrol_form, record_form = _person_forms(person, credentials)
    if request.method == "GET":
        enrol_form.started_on.data = date.today()
    action = request.form.get("action")
    if request.method == "POST":
        try:
            if action == "enrol" and enrol_form.validate_on_submit():
                credential = next((c for c in credentials if c.slug == enrol_form.credential.data), None)
                if credential is None:
                    raise ServiceError(_("Choose a credential."), "credential")
                before = next((e for e in person_enrolments(person) if e.credential_id == credential.id), None)
                before = (before.started_on, before.ended_on) if before is not None else None
                enrolment = enrol(current_user, person, credential, enrol_form.started_on.data)
                flash(_enrolled_words(credential, before, enrolment), "success")
                return redirect(url_for("credentials.admin_person", user_id=person.id))
            if action == "record" and record_form.validate_on_submit():
                slug, _sep, key = (record_form.key.data or "").partition(":")
                credential = next((c for c in credentials if c.slug == slug), None)
                if credential is None:
                    raise ServiceError(_("Choose what you are recording."), "key")
                attachment = None
                upload = record_form.file.data
                if upload is not None and upload.filename:
                    from training.supervision.services import read_upload

                    attachment = read_upload(upload, person, field="file", what="evidence")
                    db.session.add(attachment)
                    db.session.flush()
                quantity = float(record_form.quantity.data) if record_form.quantity.data is not None else None
                record_evidence(current_user, person, credential, key, record_form.occurred_on.data, quantity,
                                attachment, record_form.note.data)
                flash(_("Recorded."), "success")
                return redirect(url_for("credentials.admin_person", user_id=person.id))
        except ServiceError as error:
            db.session.rollback()
            show_error(enrol_form if action == "enrol" else record_form, error)
        if action not in ("enrol", "record"):
            abort(400)
    status = 400 if enrol_form.errors or record_form.errors else 200
    return _person_page(person, enrol_form, record_form), status


def _person_page(person, enrol_form, record_form, refused=None):
    """The person's credentials page; ``refused``, an end form sent and refused, shows again
    beside its enrolment with its errors."""
    enrolments = person_enrolments(person)
    history = list(db.session.scalars(select(Evidence).where(Evidence.user_id == person.id)
                                      .order_by(Evidence.created_at.desc(), Evidence.id.desc())))
    return render_template("credentials/admin_person.html", person=person, enrolments=enrolments,
                           evaluations=evaluate([person]).get(person.id, []) if person.has_role("trainee") else [],
                           enrol_form=enrol_form, record_form=record_form, end_forms=_end_forms(enrolments, refused),
                           history=history, held=certificates_held([person.id], [e.credential_id for e in enrolments]))


def _end_form(enrolment):
    """The form that ends one enrolment, with field names and ids of its own."""
    form = EndEnrolmentForm(prefix=f"end{enrolment.id}")
    form.ended_on.label.text = _("End date of the enrolment in %(title)s", title=enrolment.credential.local_title)
    return form


def _end_forms(enrolments, refused=None):
    """Enrolment id -> its end form: every open enrolment's, and the refused one's (which may have
    ended meanwhile)."""
    forms = {e.id: _end_form(e) for e in enrolments if e.ended_on is None}
    if refused is not None:
        forms[refused[0]] = refused[1]
    return forms


@bp.route("/admin/enrolments/<int:enrolment_id>/end", methods=["POST"])
@roles_required("admin")
def admin_end(enrolment_id):
    """End an enrolment; its history stays."""
    enrolment = db.get_or_404(Enrolment, enrolment_id)
    form = _end_form(enrolment)
    if form.validate_on_submit():
        try:
            end_enrolment(current_user, enrolment, form.ended_on.data)
        except ServiceError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Enrolment in %(title)s ended.", title=enrolment.credential.local_title), "success")
            return redirect(url_for("credentials.admin_person", user_id=enrolment.user_id))
    person = enrolment.user
    enrol_form, record_form = _person_forms(person, by_local_title(db.session.scalars(
        select(Credential).where(Credential.active))))
    enrol_form.started_on.data = date.today()
    return _person_page(person, enrol_form, record_form, refused=(enrolment.id, form)), 400
