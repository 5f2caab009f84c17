"""Issuing, revoking, reinstating and renewing certificates.

A certificate is frozen at issue: the printed name, the credential, the hours and the
dates are copied onto it, and its PDF is stored with its SHA-256. Later changes to the
trainee's profile or to the credential never change an issued certificate.
"""
import secrets
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer_group

from training import audit
from training.badges.keys import current_keys
from training.badges.services import holder_url, sign_certificate
from training.badges.status import publish as publish_status
from training.certificates.models import Certificate
from training.certificates.render import design_metadata, qr_png, render_pdf, sha256, signatory
from training.credentials.evaluation import evaluate_one, renewal_items_of, store_after_issue
from training.db_types import utcnow
from training.errors import ServiceError
from training.extensions import db
from training.i18n import CONTENT_LANGUAGE, current_language, for_user, in_language, user_locale
from training.notifications.services import announce
from training.templating import format_date, format_number

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O or U: easy to read aloud
CODE_LENGTH = 20  # 100 random bits
DESIGN = "classic"  # when a credential names none


class CertificateError(ServiceError):
    """Issuing, renewing or revoking refused, with the reason in words."""


class NotYetEligible(CertificateError):
    """Issuing refused while requirements are unmet; ``words()`` names them again in the current language."""

    def __init__(self, trainee, credential, unmet, today=None):
        self.trainee, self.credential, self.today = trainee, credential, today
        super().__init__(self._naming(unmet))

    def _naming(self, unmet):
        return _("%(name)s does not yet meet: %(missing)s.", name=self.trainee.full_name,
                 missing=", ".join(item.label for item in unmet))

    def words(self):
        """The reason in the current language, the requirements evaluated again (for a job's failure)."""
        evaluation = evaluate_one(self.trainee, self.credential, self.today)
        return self._naming(evaluation.unmet if evaluation else [])


def new_code():
    return "".join(secrets.choice(CROCKFORD) for _ in range(CODE_LENGTH))


def normalise_code(text):
    """Read a code as people type it: any case, with or without separators, O for 0."""
    text = (text or "").upper()
    text = "".join(ch for ch in text if ch.isalnum())
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))[:64]


def find_by_code(text, signed=False):
    """The certificate with this code as people type it, or None; ``signed`` loads its signed
    credential in the same statement."""
    code = normalise_code(text)
    if len(code) != CODE_LENGTH:
        return None
    query = select(Certificate).where(Certificate.code == code)
    return db.session.scalar(query.options(undefer_group("signed")) if signed else query)


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def verify_url(code):
    return f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{'-'.join(code[i:i + 4] for i in range(0, len(code), 4))}"


def hours_snapshot(trainee, credential):
    """The hours a certificate freezes, as the credential's rules count them."""
    return evaluate_one(trainee, credential).snapshot


def _hours_text(minutes):
    return format_number(minutes / 60)


def pdf_context(certificate, preview=False):
    """Plain values for the design's template: nothing with behaviour reaches it.

    Called inside ``for_user(holder)``: dates, numbers and words are in the holder's language.
    """
    hours = certificate.hours
    base = current_app.config["BASE_URL"].rstrip("/")
    language = current_language()
    return {
        "lang": language, "number": certificate.number, "holder_name": certificate.holder_name,
        "credential_title": certificate.title_in(language), "issuer_name": certificate.issuer_name,
        "training": [(certificate.domain_in(language, domain), _hours_text(minutes))
                     for domain, minutes in hours.get("training", {}).items()],
        "service": _hours_text(hours.get("service", 0)), "supervision": _hours_text(hours.get("supervision", 0)),
        "issued_on": format_date(certificate.issued_on), "expires_on": format_date(certificate.expires_on),
        "signatory_name": certificate.signatory_name,
        "signatory_title": certificate.words(language).get("signatory_title") or certificate.signatory_title,
        "verify_url": certificate.verify_url, "verify_base": base.split("://", 1)[-1] + "/verify",
        "grouped_code": certificate.grouped_code, "qr_png": qr_png(certificate.verify_url), "preview": preview,
        **_second_language(certificate, language),
    }


def _second_language(certificate, language):
    """A bilingual design (``bilingual: true`` in its metadata) prints the credential's title in a
    second language too: English under a translation, or the first translation under English."""
    if not design_metadata(certificate.design).get("bilingual"):
        return {"lang_also": "", "credential_title_also": ""}
    other = CONTENT_LANGUAGE if language != CONTENT_LANGUAGE else next(iter(sorted(certificate.translations or {})), "")
    title = certificate.title_in(other) if other else ""
    if not title or title == certificate.title_in(language):
        return {"lang_also": "", "credential_title_also": ""}
    return {"lang_also": other, "credential_title_also": title}


def preview_pdf(trainee, credential, today=None):
    """The certificate as it would be printed today, marked as a preview; nothing is saved."""
    today = today or date.today()
    design = credential.design or DESIGN
    signed_by, titles = signatory(design)
    draft = Certificate(
        number=f"{credential.certificate_prefix}-{today.year}-PREVIEW", code="PREVIEWPREVIEWPREVIE",
        holder_name=trainee.printed_name, credential_title=credential.title, hours=hours_snapshot(trainee, credential),
        locale=user_locale(trainee), translations=_certificate_words(credential, titles),
        issued_on=today, expires_on=add_months(today, credential.validity_months),
        issuer_name=current_app.config["ORGANISATION_NAME"],
        signatory_name=signed_by, signatory_title=titles[CONTENT_LANGUAGE],
        verify_url=f"{current_app.config['BASE_URL'].rstrip('/')}/verify", design=design)
    with for_user(trainee):
        return render_pdf(design, pdf_context(draft, preview=True))


def _certificate_words(credential, signatory_titles):
    """The words a certificate prints in every language it has them in, frozen at issue: the
    credential's title, description and domains (from its file), and the signatory's title."""
    # Requirement labels are for checklists, not certificates.
    words = {language: words.model_dump(include={"title", "description", "domains"}, exclude_none=True)
             for language, words in credential.spec.translations.items()}
    for language, title in signatory_titles.items():
        if language != CONTENT_LANGUAGE:
            words.setdefault(language, {})["signatory_title"] = title
    return words


def _number(credential, issued_on, certificate_id):
    return f"{credential.certificate_prefix}-{issued_on.year}-{certificate_id:06d}"


def issue(trainee, credential, actor=None, today=None, check=True, previous=None, valid_from=None, months=None,
          issued_as=None):
    """Issue a certificate, or return the one this trainee already has for this cycle.

    Idempotent: the database allows one certificate per trainee, credential and cycle, so
    a double click, two administrators or a retried job end with exactly one. Returns
    (certificate, created). The PDF is rendered and stored with its SHA-256 at issue, in bulk too.
    """
    cycle = (previous.cycle + 1) if previous else 1
    existing = db.session.scalar(select(Certificate).where(
        Certificate.user_id == trainee.id, Certificate.credential_id == credential.id, Certificate.cycle == cycle))
    if existing is not None:
        return existing, False
    if check and previous is None:
        if not credential.active:
            raise CertificateError(_("%(credential)s is retired: no new certificates are issued under it.",
                                     credential=credential.local_title))
        if not trainee.has_role("trainee"):
            raise CertificateError(_("%(name)s is not a trainee: certificates are issued to trainees.",
                                     name=trainee.full_name))
    evaluation = evaluate_one(trainee, credential, today)
    if check and previous is None:
        if evaluation.unmet:
            raise NotYetEligible(trainee, credential, evaluation.unmet, today)
    today = today or date.today()
    design = credential.design or DESIGN
    signed_by, titles = signatory(design)
    keys, subject = current_keys(), holder_url(trainee.id)  # made (and committed) before the certificate, if missing
    code = new_code()
    certificate = Certificate(
        user_id=trainee.id, credential_id=credential.id, cycle=cycle, number=f"pending-{code}", code=code,
        holder_name=trainee.printed_name, credential_slug=credential.slug, credential_title=credential.title,
        credential_description=credential.description, hours=evaluation.snapshot,
        locale=user_locale(trainee), translations=_certificate_words(credential, titles),
        issued_on=today, expires_on=add_months(max(valid_from or today, today), months or credential.validity_months),
        issued_as=issued_as or ("renewal" if previous else "award"),
        issuer_name=current_app.config["ORGANISATION_NAME"],
        signatory_name=signed_by, signatory_title=titles[CONTENT_LANGUAGE],
        verify_url=verify_url(code), design=design, pdf=b"", pdf_sha256="", previous_id=getattr(previous, "id", None),
        issued_by_id=getattr(actor, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
            db.session.flush()
            certificate.number = _number(credential, today, certificate.id)
            certificate.pdf = render_certificate(certificate)
            certificate.pdf_sha256 = sha256(certificate.pdf)
            certificate.signed_json, certificate.signed_jwt = sign_certificate(certificate, keys, subject)
            db.session.flush()
            store_after_issue(evaluation, certificate, today)
    except IntegrityError:
        # Another request issued it first: use that certificate.
        db.session.rollback()
        existing = db.session.scalar(select(Certificate).where(
            Certificate.user_id == trainee.id, Certificate.credential_id == credential.id,
            Certificate.cycle == cycle))
        if existing is None:
            raise
        return existing, False
    event = audit.record({"award": "certificate.issued", "renewal": "certificate.renewed",
                          "extension": "certificate.extended"}[certificate.issued_as], actor=actor, subject=trainee,
                         number=certificate.number, credential=credential.slug, pdf_sha256=certificate.pdf_sha256)
    db.session.commit()
    announce(event)
    return certificate, True


def render_certificate(certificate):
    """The PDF in the language it was issued in (the holder's), whoever's request renders it."""
    with in_language(certificate.locale):
        return render_pdf(certificate.design, pdf_context(certificate))


def certificate_pdf(certificate):
    """The certificate's PDF as stored at issue, served byte for byte. A record without one (a
    certificate made by an older version that left rendering for later) has it rendered from its
    frozen copy once and stored with its SHA-256."""
    if certificate.pdf_sha256:
        return certificate.pdf
    pdf = render_certificate(certificate)
    # Two requests may render at once: the first stored copy wins and both serve it.
    db.session.execute(update(Certificate).where(Certificate.id == certificate.id, Certificate.pdf_sha256 == "")
                       .values(pdf=pdf, pdf_sha256=sha256(pdf)))
    db.session.commit()
    db.session.refresh(certificate)
    return certificate.pdf


def pdf_filename(certificate):
    def slug(text):
        return "-".join("".join(ch if ch.isalnum() else " " for ch in text).split())

    return f"{slug(certificate.holder_name)}-{slug(certificate.credential_title)}-{certificate.number}.pdf"


def revoke(actor, certificate, public_reason, private_note=""):
    public_reason = (public_reason or "").strip()
    if not public_reason:
        raise CertificateError(_("Give the reason that the verification page will show."))
    if certificate.status == "revoked":
        raise CertificateError(_("This certificate is already revoked."))
    certificate.status, certificate.revoked_at = "revoked", utcnow()
    certificate.revoked_reason, certificate.revoked_note = public_reason[:500], (private_note or "").strip()[:2000]
    publish_status(certificate.id)
    event = audit.record("certificate.revoked", actor=actor, subject=certificate.holder, number=certificate.number,
                         reason=certificate.revoked_reason, note=certificate.revoked_note)
    db.session.commit()
    announce(event)


def reinstate(actor, certificate, note=""):
    if certificate.status != "revoked":
        raise CertificateError(_("Only a revoked certificate can be reinstated."))
    certificate.status, certificate.revoked_at, certificate.revoked_reason = "valid", None, ""
    publish_status(certificate.id)
    event = audit.record("certificate.reinstated", actor=actor, subject=certificate.holder,
                         number=certificate.number, note=(note or "").strip())
    db.session.commit()
    announce(event)


def renewal_checklist(certificate, today=None):
    """Whether the renewal rules are met: continuing education in the credential's cycle."""
    return renewal_checklists([certificate], today)[certificate.id]


def renewal_checklists(certificates, today=None):
    """:func:`renewal_checklist` of each certificate, by id, in a fixed number of statements. A
    revoked certificate is refused before its checklist is read (see ``_refuse_if_revoked``)."""
    return renewal_items_of(certificates, today)


def _refuse_if_revoked(certificate, renewing):
    """A revoked certificate is neither renewed nor extended: it says so, and that reinstating it
    comes first, rather than listing its standing among rules still to meet."""
    if certificate.status != "revoked":
        return
    if renewing:
        message = _("Certificate %(number)s is revoked, so it cannot be renewed. If the reason for revoking it no "
                    "longer holds, reinstate it first.", number=certificate.number)
    else:
        message = _("Certificate %(number)s is revoked, so it cannot be extended. If the reason for revoking it no "
                    "longer holds, reinstate it first.", number=certificate.number)
    raise CertificateError(message)


def renew(actor, certificate, today=None):
    """Issue the next certificate, linked to this one, once the renewal rules are met."""
    _refuse_if_revoked(certificate, renewing=True)
    missing = [c.label for c in renewal_checklist(certificate, today) if not c.met]
    if missing:
        raise CertificateError(_("The renewal rules are not met yet: %(missing)s.", missing=", ".join(missing)))
    newer = db.session.scalar(select(Certificate).where(Certificate.previous_id == certificate.id))
    if newer is not None:
        return newer, False
    today = today or date.today()
    renewal = certificate.credential.renewal
    # Renewing early keeps the rest of the current term: the new validity starts when the old one ends.
    return issue(certificate.holder, certificate.credential, actor=actor, today=max(today, certificate.issued_on),
                 check=False, previous=certificate, valid_from=certificate.expires_on,
                 months=renewal.validity_months if renewal else None)


def extensions_left(certificate):
    """How many more times this certificate's stage may be extended (an initial certification, say)."""
    extension = certificate.credential.spec.extension
    if extension is None or certificate.status == "revoked":
        return 0
    used, link = 0, certificate
    while link is not None and link.issued_as == "extension":
        used, link = used + 1, link.previous
    return max(0, extension.count - used)


def extend(actor, certificate, today=None):
    """Extend a certificate once more, as its credential allows: a new certificate, linked, that
    starts when this one ends and runs for the extension's months."""
    _refuse_if_revoked(certificate, renewing=False)
    if not extensions_left(certificate):
        raise CertificateError(_("This certificate cannot be extended (again)."))
    newer = db.session.scalar(select(Certificate).where(Certificate.previous_id == certificate.id))
    if newer is not None:
        return newer, False
    today = today or date.today()
    return issue(certificate.holder, certificate.credential, actor=actor, today=max(today, certificate.issued_on),
                 check=False, previous=certificate, valid_from=certificate.expires_on,
                 months=certificate.credential.spec.extension.months, issued_as="extension")


def expiring_certificates(today, days):
    """A query of valid certificates expiring in the next ``days`` days that no newer certificate renews."""
    renewed = select(Certificate.previous_id).where(Certificate.previous_id.is_not(None))
    return select(Certificate).where(
        Certificate.status == "valid", Certificate.expires_on >= today,
        Certificate.expires_on <= today + timedelta(days=days), Certificate.id.not_in(renewed))


def expiry_due(days, today=None):
    """Valid certificates expiring in exactly ``days`` days or fewer, not yet renewed."""
    return list(db.session.scalars(expiring_certificates(today or date.today(), days)))
