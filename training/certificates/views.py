import json
from datetime import date
from urllib.parse import urlencode

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer, undefer

from training.auth.access import roles_required
from training.auth.models import User
from training.badges.services import stored_credential
from training.badges.signing import JWT_MEDIA_TYPE
from training.certificates import bp
from training.certificates.forms import (
    CertificateFilterForm,
    LegalNameForm,
    ReinstateForm,
    RevokeForm,
    SharingForm,
    VerifyForm,
)
from training.certificates.jobs import start_bulk_issue, start_zip
from training.certificates.models import Certificate
from training.certificates.render import qr_svg
from training.certificates.services import (
    CertificateError,
    certificate_pdf,
    expiring_certificates,
    extend,
    extensions_left,
    find_by_code,
    issue,
    pdf_filename,
    reinstate,
    renew,
    renewal_checklist,
    renewal_checklists,
    revoke,
)
from training.certificates.transcript import transcript_pdf
from training.credentials.eligibility import FILTERS, eligibility_page, eligible_count
from training.credentials.evaluation import evaluate
from training.credentials.models import Credential, by_local_title
from training.extensions import db, limiter
from training.forms import ConfirmForm, choices
from training.fragments import kept_markup
from training.http import content_disposition, page_number, paginate, record_id
from training.i18n import current_language, for_user
from training.jobs.models import Job
from training.templating import format_date, in_language


def _verify_limit():
    return current_app.config["VERIFY_RATE_LIMIT"]


def _pdf_response(data, filename, inline=False):
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": content_disposition(filename, inline)})


# --- Public verification (printed URLs: never change them) -------------------------------

@bp.route("/verify", methods=["GET"])
@limiter.limit(_verify_limit)
def verify_form():
    """Check a certificate by its code."""
    form = VerifyForm(formdata=request.args if request.args else None)
    if request.args and form.validate():
        certificate = find_by_code(form.code.data) or _training_certificate(form.code.data)
        if certificate is not None:
            return redirect(url_for("certificates.verify", code=certificate.grouped_code))
        form.code.errors.append(_("No certificate has this code. Check each character; the code is not case "
                                  "sensitive and the dashes are optional."))
    return render_template("certificates/verify_form.html", form=form), 404 if form.errors else 200


def _training_certificate(code):
    """A training certificate of a live cohort: verified at the same addresses."""
    from training.cohorts.certificates import find_by_code as find_training_certificate

    return find_training_certificate(code)


def _certificate_or_404(code):
    certificate = find_by_code(code)
    if certificate is None:
        form = VerifyForm(formdata=None, code=code[:64])
        form.code.errors = [_("No certificate has this code. Check each character and try again.")]
        abort(Response(render_template("certificates/verify_form.html", form=form, unknown=True), 404))
    return certificate


def _unknown_code_json():
    """What a program asking for the signed credential of an unknown code gets: JSON it can read."""
    body = json.dumps({"error": "not_found", "message": _("No certificate has this code.")})
    response = _credential_response(body, "application/json")
    response.status_code = 404
    return response


# Media types a client may ask /verify/<code> for instead of the page.
JSON_TYPES = ["application/vc", "application/vc+ld+json", "application/ld+json", "application/json"]


def _negotiated(accept):
    """The media type a client prefers: the VC-JWT's, a JSON one, or None for the page (browsers)."""
    best = accept.best_match(["text/html", JWT_MEDIA_TYPE, *JSON_TYPES])
    if best is None or best == "text/html" or accept[best] <= accept["text/html"]:
        return None
    return best


def _credential_response(body, mimetype):
    response = Response(body, mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept")
    return response


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code):
    """The public verification page of one certificate, or its signed credential if asked for."""
    certificate = find_by_code(code)
    training = None if certificate else _training_certificate(code)
    if training is not None:
        if code != training.grouped_code:
            return redirect(url_for("certificates.verify", code=training.grouped_code), 301)
        from training.cohorts.certificates import shown_training_title

        return render_template("cohorts/verify.html", c=training, training_title=in_language(*shown_training_title(training)))
    wanted = _negotiated(request.accept_mimetypes)
    if wanted and certificate is None:
        return _unknown_code_json()
    certificate = certificate or _certificate_or_404(code)
    if wanted:
        signed_json, signed_jwt = stored_credential(certificate)
        return _credential_response(signed_jwt if wanted == JWT_MEDIA_TYPE else signed_json, wanted)
    if code != certificate.grouped_code:
        return redirect(url_for("certificates.verify", code=certificate.grouped_code), 301)
    state = certificate.state()
    # Only an expired certificate points to the one that renewed it.
    newer = db.session.scalar(select(Certificate).where(Certificate.previous_id == certificate.id)) \
        if state == "expired" else None
    is_holder = current_user.is_authenticated and current_user.id == certificate.user_id
    urls = {"json_url": url_for("certificates.verify_json", code=certificate.grouped_code),
            "jwt_url": url_for("certificates.verify_jwt", code=certificate.grouped_code)}
    # Everything else the page shows was frozen when the certificate was issued.
    key = (certificate.id, state, certificate.expires_on, certificate.revoked_at, certificate.revoked_reason,
           certificate.pdf_public, newer.id if newer else None, is_holder, current_language())
    content = kept_markup("verify", key, lambda: render_template(
        "certificates/_verify_content.html", c=certificate, state=state, newer=newer, is_holder=is_holder,
        jwks_url=f"{current_app.config['BASE_URL'].rstrip('/')}/issuer/jwks.json",
        linkedin_url=linkedin_url(certificate) if is_holder else "", **urls))
    response = Response(render_template("certificates/verify.html", c=certificate, content=content, state=state,
                                        **urls))
    response.vary.add("Accept")
    response.vary.add("Accept-Language")  # shown in the visitor's language
    return response


@bp.route("/verify/<code>.json")
@limiter.limit(_verify_limit)
def verify_json(code):
    """The certificate as an Open Badges 3.0 credential with an embedded Data Integrity proof;
    a training certificate as its frozen record, with the SHA-256 of its PDF to compare."""
    certificate = find_by_code(code, signed=True)
    training = None if certificate else _training_certificate(code)
    if training is not None:
        from training.cohorts.certificates import public_record

        return _credential_response(json.dumps(public_record(training), indent=2), "application/json")
    if certificate is None:
        return _unknown_code_json()
    signed_json, _jwt = stored_credential(certificate)
    return _credential_response(signed_json, "application/json")


@bp.route("/verify/<code>.jwt")
@limiter.limit(_verify_limit)
def verify_jwt(code):
    """The certificate as an Open Badges 3.0 VC-JWT."""
    certificate = find_by_code(code, signed=True)
    if certificate is None:
        return _unknown_code_json()
    _json, signed_jwt = stored_credential(certificate)
    return _credential_response(signed_jwt, JWT_MEDIA_TYPE)


@bp.route("/verify/<code>/certificate.png")
@limiter.limit(_verify_limit)
def verify_image(code):
    """An image of the certificate as issued, for its verification page and link previews. A revoked
    or expired certificate's image is stamped so, in the reader's language: a link preview shows
    the image alone."""
    from training.certificates.image import certificate_png, stamped

    certificate = _certificate_or_404(code)
    state = certificate.state()
    if state == "valid":
        response = Response(certificate_png(certificate), mimetype="image/png")
        response.headers["Cache-Control"] = "public, max-age=86400"
        response.set_etag(certificate.pdf_sha256)  # set by now: the image is made from the PDF
    else:
        word = _("Revoked") if state == "revoked" else _("Expired")
        response = Response(stamped(certificate_png(certificate), word.upper()), mimetype="image/png")
        response.headers["Cache-Control"] = "no-cache"  # asked again each time: a reinstatement shows at once
        response.set_etag(f"{certificate.pdf_sha256}-{state}-{current_language()}")
        response.vary.add("Accept-Language")
    return response.make_conditional(request)


@bp.route("/verify/<code>/certificate.pdf")
@limiter.limit(_verify_limit)
def verify_pdf(code):
    """The stored PDF, when its holder has chosen to share it. A revoked certificate's PDF still reads
    "valid until", so a link to it leads to the verification page, which says it was revoked."""
    certificate = _certificate_or_404(code)
    if not certificate.pdf_public:
        abort(404)
    if certificate.state() == "revoked":
        return redirect(url_for("certificates.verify", code=certificate.grouped_code))
    return _pdf_response(certificate_pdf(certificate), pdf_filename(certificate), inline=True)


# --- Trainees --------------------------------------------------------------------------------

def linkedin_url(certificate):
    return "https://www.linkedin.com/profile/add?" + urlencode({
        "startTask": "CERTIFICATION_NAME", "name": certificate.credential_title,
        "organizationName": certificate.issuer_name, "issueYear": certificate.issued_on.year,
        "issueMonth": certificate.issued_on.month, "expirationYear": certificate.expires_on.year,
        "expirationMonth": certificate.expires_on.month, "certUrl": certificate.verify_url,
        "certId": certificate.number})


@bp.route("/certificates", methods=["GET", "POST"])
@roles_required("trainee")
def mine():
    """The trainee's certificates, eligibility checklist and transcript."""
    name_form = LegalNameForm(legal_name=current_user.legal_name)
    if name_form.validate_on_submit():
        current_user.legal_name = name_form.legal_name.data or None
        db.session.commit()
        flash(_("Saved. New certificates will print this name."), "success")
        return redirect(url_for("certificates.mine"))
    certificates = list(db.session.scalars(select(Certificate).where(Certificate.user_id == current_user.id)
                                           .order_by(Certificate.issued_on.desc(), Certificate.id.desc())))
    held = {c.credential_id for c in certificates}
    evaluations = [e for e in evaluate([current_user]).get(current_user.id, []) if e.credential.id not in held]
    return render_template("certificates/mine.html", certificates=certificates, evaluations=evaluations,
                           training_certificates=_training_certificates(current_user),
                           name_form=name_form, qr=qr_svg, linkedin=linkedin_url, form=ConfirmForm(),
                           sharing_form=SharingForm, renewals=renewal_checklists(certificates)), \
        400 if name_form.errors else 200


def _training_certificates(user):
    """The person's certificates of live training attended, newest first, each with its training's
    title in the reader's language where the training translates it (their PDFs are not read)."""
    from training.cohorts.certificates import shown_training_title
    from training.cohorts.models import TrainingCertificate
    from training.cohorts.services import with_cohort_shown

    found = db.session.scalars(select(TrainingCertificate).where(TrainingCertificate.user_id == user.id).options(
        defer(TrainingCertificate.pdf), *with_cohort_shown(TrainingCertificate.cohort))
        .order_by(TrainingCertificate.issued_on.desc(), TrainingCertificate.id.desc()))
    return [(certificate, in_language(*shown_training_title(certificate))) for certificate in found]


def _own_certificate_or_404(certificate_id, *options):
    certificate = db.session.get(Certificate, certificate_id, options=options)
    if certificate is None or (certificate.user_id != current_user.id and not current_user.is_admin):
        abort(404)
    return certificate


@bp.route("/certificates/<int:certificate_id>.pdf")
@roles_required("trainee", "admin")
def download(certificate_id):
    """Download a certificate's stored PDF."""
    certificate = _own_certificate_or_404(certificate_id, undefer(Certificate.pdf))  # the file, in the same read
    return _pdf_response(certificate_pdf(certificate), pdf_filename(certificate))


@bp.route("/certificates/<int:certificate_id>/credential.json")
@roles_required("trainee")
def wallet(certificate_id):
    """The signed Open Badges credential as a file, to import into a digital wallet (valid certificates only)."""
    certificate = _own_certificate_or_404(certificate_id)
    if certificate.state() != "valid":
        abort(404)
    signed_json, _jwt = stored_credential(certificate)
    return Response(signed_json, mimetype="application/json", headers={
        "Content-Disposition": content_disposition(pdf_filename(certificate).removesuffix(".pdf") + ".json")})


@bp.route("/certificates/<int:certificate_id>/sharing", methods=["POST"])
@roles_required("trainee")
def sharing(certificate_id):
    """Choose whether the verification page offers the PDF."""
    certificate = _own_certificate_or_404(certificate_id)
    form = SharingForm()
    if not form.validate_on_submit():
        abort(400)
    certificate.pdf_public = bool(form.pdf_public.data)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("certificates.mine"))


@bp.route("/certificates/transcript.pdf")
@roles_required("trainee")
def transcript():
    """A transcript: courses, exam scores and approved hours."""
    name = "-".join(current_user.printed_name.split())
    with for_user(current_user):
        filename = _("Transcript-%(name)s.pdf", name=name)
    return _pdf_response(transcript_pdf(current_user), filename)


# --- Administrators ---------------------------------------------------------------------------

def _filtered(form):
    """The certificates the filters select; all of them when a filter is not valid (it says so beside it)."""
    query = select(Certificate).order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    if form.errors:
        return query
    today = date.today()
    if form.status.data == "expiring":
        return expiring_certificates(today, _expiring_days()).order_by(Certificate.expires_on, Certificate.id)
    if form.status.data == "revoked":
        query = query.where(Certificate.status == "revoked")
    elif form.status.data == "expired":
        query = query.where(Certificate.status == "valid", Certificate.expires_on < today)
    elif form.status.data == "valid":
        query = query.where(Certificate.status == "valid", Certificate.expires_on >= today)
    if form.credential.data:
        query = query.where(Certificate.credential_slug == form.credential.data)
    if form.issued_from.data:
        query = query.where(Certificate.issued_on >= form.issued_from.data)
    if form.issued_to.data:
        query = query.where(Certificate.issued_on <= form.issued_to.data)
    return query


def _expiring_days():
    return max(current_app.config["EXPIRY_REMINDER_DAYS"], default=60)


def _filter_form():
    form = CertificateFilterForm(formdata=request.args)
    form.status.choices = [*form.status.choices, *choices([("expiring", _(
        "Expiring within %(days)d days", days=_expiring_days()))])]
    # A credential retired since (its file removed) still has the certificates issued under it.
    credentials = by_local_title(db.session.scalars(select(Credential).where(
        Credential.active | Credential.id.in_(select(Certificate.credential_id)))))
    form.credential.choices = choices([("", _("Any credential"))] + [(c.slug, c.local_title) for c in credentials])
    if not form.validate():
        flash(_("Some filters were not valid and were ignored: see the message beside each."), "error")
    return form


@bp.route("/admin/certificates")
@roles_required("admin")
def admin_list():
    """Certificates filtered by status, credential and date."""
    form = _filter_form()
    page = request.args.get("page", 1, type=int)
    pagination = paginate(_filtered(form), page, per_page=50)
    running = list(db.session.scalars(select(Job).where(Job.started_by_id == current_user.id,
                                                        Job.status != "finished").order_by(Job.id.desc()).limit(3)))
    return render_template("certificates/admin_list.html", form=form, pagination=pagination, running=running,
                           args=request.args.to_dict(), zip_form=ConfirmForm())


@bp.route("/admin/certificates/download.zip", methods=["POST"])
@roles_required("admin")
def admin_zip():
    """Every certificate matching the filters, as one zip file that a worker writes to disk."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    form = _filter_form()
    if form.errors:  # never a zip of every certificate in place of the ones the filters meant
        return redirect(url_for("certificates.admin_list", **request.args))
    job = start_zip(current_user, db.session.scalars(_filtered(form)).all())
    flash(_("The zip file is being made. This page shows the progress and then the download."), "success")
    return redirect(url_for("jobs.show", job_id=job.id))


def _credential_or_404(slug):
    credential = db.session.scalar(select(Credential).where(Credential.slug == slug))
    if credential is None:
        abort(404)
    return credential


@bp.route("/admin/certificates/eligible")
@roles_required("admin")
def eligible():
    """Trainees who meet every requirement and hold no certificate yet, with a preview before issuing."""
    credentials = by_local_title(db.session.scalars(select(Credential).where(Credential.active)))
    slug = request.args.get("credential") or (credentials[0].slug if credentials else "")
    credential = next((c for c in credentials if c.slug == slug), None)
    if slug and credential is None:
        abort(404)  # unknown, or retired: nobody becomes eligible for a credential no longer issued
    status = request.args.get("status", "eligible")
    status = status if status in FILTERS else "eligible"
    search = request.args.get("q", "")[:100]
    page = eligibility_page(credential, status, search, page_number(request.args.get("page", type=int))) \
        if credential else None
    # The list as it first opens already counted everyone eligible: a programme's whole enrolment, not counted twice.
    eligible_total = (page.total if status == "eligible" and not search.split() else eligible_count(credential)) \
        if credential else 0
    return render_template("certificates/eligible.html", credentials=credentials, credential=credential, page=page,
                           status=status, search=search, filters=FILTERS, form=ConfirmForm(),
                           eligible_total=eligible_total)


@bp.route("/admin/certificates/preview.pdf")
@roles_required("admin")
def admin_preview():
    """What a trainee's certificate would look like, without issuing anything."""
    from training.certificates.services import preview_pdf

    credential = _credential_or_404(request.args.get("credential", ""))
    user_id = record_id(request.args.get("user"))
    person = db.session.get(User, user_id) if user_id else None
    if person is None:
        abort(404)
    return _pdf_response(preview_pdf(person, credential), "certificate-preview.pdf", inline=True)


@bp.route("/admin/certificates/issue", methods=["POST"])
@roles_required("admin")
def admin_issue():
    """Issue to the selected trainees: one at once, many in the background."""
    credential = _credential_or_404(request.form.get("credential", ""))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ids = {record_id(i) for i in request.form.getlist("user")} - {None}
    users = list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
    if not users:
        flash(_("Select at least one person."), "error")
        return redirect(url_for("certificates.eligible", credential=credential.slug))
    if len(users) == 1:
        try:
            certificate, created = issue(users[0], credential, actor=current_user)
        except CertificateError as error:
            flash(error.message, "error")
            return redirect(url_for("certificates.eligible", credential=credential.slug))
        flash(_("Certificate %(number)s issued to %(name)s.", number=certificate.number, name=certificate.holder_name)
              if created else _("%(name)s already holds certificate %(number)s.", name=certificate.holder_name,
                                number=certificate.number), "success")
        return redirect(url_for("certificates.admin_detail", certificate_id=certificate.id))
    job = start_bulk_issue(current_user, credential, users)
    flash(_("Issuing %(count)s certificates in the background. This page shows the progress.", count=len(users)),
          "success")
    return redirect(url_for("jobs.show", job_id=job.id))


def _detail_page(certificate, revoke_form=None, reinstate_form=None, status=200):
    """The certificate's page, with a refused form's messages beside its fields."""
    newer = db.session.scalar(select(Certificate).where(Certificate.previous_id == certificate.id))
    return render_template("certificates/admin_detail.html", c=certificate, newer=newer,
                           revoke_form=revoke_form or RevokeForm(), reinstate_form=reinstate_form or ReinstateForm(),
                           form=ConfirmForm(), renewal=renewal_checklist(certificate),
                           extensions=extensions_left(certificate)), status


@bp.route("/admin/certificates/<int:certificate_id>")
@roles_required("admin")
def admin_detail(certificate_id):
    """One certificate, with revoke, reinstate and renew."""
    return _detail_page(db.get_or_404(Certificate, certificate_id))


@bp.route("/admin/certificates/<int:certificate_id>/revoke", methods=["POST"])
@roles_required("admin")
def admin_revoke(certificate_id):
    """Revoke with a public reason and a private note, after a confirmation page; the record stays."""
    certificate = db.get_or_404(Certificate, certificate_id)
    form = RevokeForm()
    if form.validate_on_submit() and form.confirmed.data != "yes" and certificate.status != "revoked":
        # Works without JavaScript: the first submission shows what will happen and asks again.
        form.confirmed.data = "yes"
        return render_template("certificates/revoke_confirm.html", c=certificate, form=form)
    if form.validate_on_submit():
        try:
            revoke(current_user, certificate, form.reason.data, form.note.data)
        except CertificateError as error:
            flash(error.message, "error")
        else:
            flash(_("Certificate %(number)s is revoked. The verification page now says so.", number=certificate.number),
                  "success")
            return redirect(url_for("certificates.admin_detail", certificate_id=certificate.id))
    return _detail_page(certificate, revoke_form=form, status=400)


@bp.route("/admin/certificates/<int:certificate_id>/reinstate", methods=["POST"])
@roles_required("admin")
def admin_reinstate(certificate_id):
    """Reinstate a revoked certificate."""
    certificate = db.get_or_404(Certificate, certificate_id)
    form = ReinstateForm()
    if not form.validate_on_submit():
        return _detail_page(certificate, reinstate_form=form, status=400)
    try:
        reinstate(current_user, certificate, form.note.data)
    except CertificateError as error:
        flash(error.message, "error")
    else:
        flash(_("Certificate %(number)s is valid again.", number=certificate.number), "success")
    return redirect(url_for("certificates.admin_detail", certificate_id=certificate.id))


@bp.route("/admin/certificates/<int:certificate_id>/renew", methods=["POST"])
@roles_required("admin")
def admin_renew(certificate_id):
    """Issue the renewal, linked to this certificate, once the renewal rules are met."""
    certificate = db.get_or_404(Certificate, certificate_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        newer, created = renew(current_user, certificate)
    except CertificateError as error:
        flash(error.message, "error")
        return redirect(url_for("certificates.admin_detail", certificate_id=certificate.id))
    flash(_("Renewal %(number)s issued.", number=newer.number) if created else
          _("Already extended as %(number)s.", number=newer.number) if newer.issued_as == "extension" else
          _("Already renewed as %(number)s.", number=newer.number), "success")
    return redirect(url_for("certificates.admin_detail", certificate_id=newer.id))


@bp.route("/admin/certificates/<int:certificate_id>/extend", methods=["POST"])
@roles_required("admin")
def admin_extend(certificate_id):
    """Extend a certificate as its credential allows (an initial certification, say)."""
    certificate = db.get_or_404(Certificate, certificate_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        newer, created = extend(current_user, certificate)
    except CertificateError as error:
        flash(error.message, "error")
        return redirect(url_for("certificates.admin_detail", certificate_id=certificate.id))
    flash(_("Extended until %(day)s as %(number)s.", day=format_date(newer.expires_on), number=newer.number)
          if created else _("Already followed by %(number)s.", number=newer.number), "success")
    return redirect(url_for("certificates.admin_detail", certificate_id=newer.id))


@bp.route("/admin/people/<int:user_id>/eligibility")
@roles_required("admin")
def admin_eligibility(user_id):
    """A trainee's checklist for their credential, as the trainee sees it."""
    person = db.get_or_404(User, user_id)
    held = {c.credential_id: c for c in db.session.scalars(select(Certificate).where(Certificate.user_id == person.id)
                                                          .order_by(Certificate.cycle))}
    return render_template("certificates/eligibility.html", person=person, held=held,
                           evaluations=evaluate([person]).get(person.id, []), form=ConfirmForm())
