"""Training certificates: proof of the live training a trainee attended, hours by domain.

Like credential certificates, each is frozen at issue (name, training, hours and dates are
stored with the PDF and its SHA-256) and carries a verification code checked at ``/verify``.
"""
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training import audit
from training.certificates.render import qr_png, render_pdf, sha256, signatory
from training.certificates.services import CODE_LENGTH, new_code, normalise_code
from training.cohorts.models import TrainingCertificate
from training.cohorts.services import (
    CohortError,
    attendance_report,
    document_url,
    local_day,
    training_title_in,
    translated_training_title,
)
from training.extensions import db
from training.i18n import CONTENT_LANGUAGE, current_language, for_user
from training.templating import format_date, format_number

DESIGN = "training"
PREFIX = "TRN"


def find_by_code(text):
    code = normalise_code(text)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(select(TrainingCertificate).where(TrainingCertificate.code == code))


def _hours(minutes):
    return f"{minutes / 60:g}"


def pdf_context(certificate, domains, cohort=None):
    """Plain values for the design, in the language now in force (the holder's: see
    :func:`render_for_holder`): the training's title, domain names, dates and numbers."""
    base = current_app.config["BASE_URL"].rstrip("/")
    signed_by, titles = signatory(DESIGN)
    language = current_language()
    names = (cohort.credential.words(language).get("domains") or {}) if cohort and cohort.credential else {}
    return {
        "lang": language, "number": certificate.number, "holder_name": certificate.holder_name,
        "training_title": training_title_in(cohort, language) if cohort else certificate.training_title,
        "cohort_title": certificate.cohort_title,
        "issuer_name": certificate.issuer_name, "trainer_names": certificate.trainer_names,
        "domains": [(names.get(d, d), format_number(certificate.hours[d] / 60)) for d in domains
                    if certificate.hours.get(d)],
        "total": format_number(certificate.total_minutes / 60), "sessions_attended": certificate.sessions_attended,
        "sessions_total": certificate.sessions_total, "first_day": format_date(certificate.first_day),
        "last_day": format_date(certificate.last_day), "issued_on": format_date(certificate.issued_on),
        "signatory_name": signed_by, "signatory_title": titles.get(language) or titles[CONTENT_LANGUAGE],
        "verify_url": certificate.verify_url, "verify_base": base.split("://", 1)[-1] + "/verify",
        "grouped_code": certificate.grouped_code, "qr_png": qr_png(certificate.verify_url),
    }


def render_for_holder(certificate, holder, domains, cohort):
    """The certificate's PDF in the holder's language, whoever's request issues it."""
    with for_user(holder):
        return render_pdf(DESIGN, pdf_context(certificate, domains, cohort))


def public_record(certificate):
    """What a board checking a training certificate reads by machine: the facts printed on it,
    its state, and the SHA-256 of the PDF as issued."""
    return {
        "type": "TrainingCertificate",
        "id": certificate.verify_url,
        "number": certificate.number,
        "status": certificate.status,
        "holder": certificate.holder_name,
        "training": certificate.training_title,
        "cohort": certificate.cohort_title,
        "firstDay": certificate.first_day.isoformat(),
        "lastDay": certificate.last_day.isoformat(),
        "sessionsAttended": certificate.sessions_attended,
        "sessionsTotal": certificate.sessions_total,
        "hoursByDomain": {domain: minutes / 60 for domain, minutes in certificate.hours.items()},
        "totalHours": certificate.total_minutes / 60,
        "trainers": certificate.trainer_names,
        "issuedOn": certificate.issued_on.isoformat(),
        "issuer": certificate.issuer_name,
        "pdfSha256": certificate.pdf_sha256,
    }


def shown_training_title(certificate):
    """The training's title for a page about ``certificate``, and the language it is in: the
    reader's where the cohort's training translates it, otherwise the title stored at issue."""
    from training.i18n import CONTENT_LANGUAGE

    language = current_language()
    translated = translated_training_title(certificate.cohort, language) if certificate.cohort else None
    return (translated, language) if translated else (certificate.training_title, CONTENT_LANGUAGE)


def certificate_pdf_name(certificate):
    def slug(text):
        return "-".join("".join(ch if ch.isalnum() else " " for ch in text).split())

    return f"{slug(certificate.holder_name)}-{slug(certificate.training_title)}-{certificate.number}.pdf"


def issue_for_cohort(actor, cohort, today=None):
    """Issue a certificate to each enrolled trainee credited with hours, once all sessions are
    confirmed. Idempotent: a trainee never gets two for the same cohort. Returns those issued."""
    today = today or date.today()
    sessions = cohort.sessions
    if not sessions or any(s.confirmed_at is None for s in sessions):
        raise CohortError(_("Training certificates are issued once attendance at every session is confirmed."))
    domains = cohort.credential.domains if cohort.credential else []
    regular = [s for s in sessions if s.makeup_of_id is None]
    issued = []
    # Attended: each session of theirs attended or made up; one held before they joined and not
    # attended was never theirs, so it is neither attended nor missed, but still one of the cohort's.
    for record in attendance_report(cohort):
        if not record.total:
            continue
        if db.session.scalar(select(TrainingCertificate.id).where(
                TrainingCertificate.cohort_id == cohort.id, TrainingCertificate.user_id == record.user.id)):
            continue
        code = new_code()
        certificate = TrainingCertificate(
            cohort_id=cohort.id, user_id=record.user.id, number=f"pending-{code}", code=code,
            holder_name=record.user.printed_name, training_title=cohort.training_title, cohort_title=cohort.title,
            hours=dict(record.credited), sessions_attended=len(regular) - record.before_joining - record.missed,
            sessions_total=len(regular),
            first_day=local_day(sessions[0].starts_at), last_day=local_day(sessions[-1].starts_at),
            issued_on=today, issuer_name=current_app.config["ORGANISATION_NAME"],
            trainer_names=", ".join(t.full_name for t in cohort.trainers)[:500],
            verify_url=document_url("certificates.verify", code="-".join(code[i:i + 4] for i in range(0, len(code), 4))),
            pdf=b"", pdf_sha256="", issued_by_id=getattr(actor, "id", None))
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
                db.session.flush()
        except IntegrityError:
            continue  # issued by a concurrent request
        certificate.number = f"{PREFIX}-{today.year}-{certificate.id:06d}"
        certificate.pdf = render_for_holder(certificate, record.user, domains, cohort)
        certificate.pdf_sha256 = sha256(certificate.pdf)
        audit.record("training_certificate.issued", actor=actor, subject=record.user, number=certificate.number,
                     cohort=cohort.id, hours={d: _hours(m) for d, m in certificate.hours.items()})
        issued.append(certificate)
    db.session.commit()
    return issued
