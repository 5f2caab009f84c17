"""Enrolments in credentials, and the evidence their rules ask for (documents, signatures, exams)."""
import hashlib
from datetime import date

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import load_only, selectinload

from training import audit
from training.credentials.evaluation import default_credential
from training.credentials.models import Credential, Enrolment, Evidence
from training.db_types import utcnow
from training.errors import ServiceError
from training.extensions import db
from training.notifications.services import announce, settle_evidence_requests
from training.templating import format_date


def current_enrolments(user, today=None):
    """The enrolments a trainee is working under today, oldest first."""
    today = today or date.today()
    return [e for e in db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                          .order_by(Enrolment.started_on, Enrolment.id))
            if e.ended_on is None or e.ended_on >= today]


def credential_for(user):
    """The credential a trainee works toward first: their earliest current enrolment, else the default."""
    enrolments = current_enrolments(user)
    return enrolments[0].credential if enrolments else default_credential()


def credentials_for(user):
    enrolments = current_enrolments(user)
    if enrolments:
        return [e.credential for e in enrolments]
    default = default_credential()
    return [default] if default else []


def credentials_among(users, today=None):
    """Every credential these trainees work toward today, oldest enrolment first, without repeats
    (the default credential too when one of them has no current enrolment): what a form that
    records hours for all of them at once offers. One statement, however many trainees."""
    today = today or date.today()
    ids = {user.id for user in users}
    if not ids:
        return []
    rows = db.session.execute(select(Enrolment.user_id, Credential).join(Enrolment.credential).where(
        Enrolment.user_id.in_(ids), (Enrolment.ended_on.is_(None)) | (Enrolment.ended_on >= today))
        .order_by(Enrolment.started_on, Enrolment.id)).all()
    found = list(dict.fromkeys(credential for _user_id, credential in rows))
    if len({user_id for user_id, _credential in rows}) < len(ids):
        default = default_credential()
        if default is not None and default not in found:
            found.append(default)
    return found


def domains_for(user):
    """Every domain of every credential the trainee works toward, in file order, without repeats."""
    seen = []
    for credential in credentials_for(user):
        seen += [d for d in credential.domains if d not in seen]
    return seen


def hour_attributes_for(user, kind=None):
    """The yes/no attributes the trainee's credentials ask of hour entries (of ``kind``)."""
    found = {}
    for credential in credentials_for(user):
        for attribute in credential.spec.hour_attributes:
            if kind is None or kind in attribute.kinds:
                found.setdefault(attribute.key, attribute)
    return list(found.values())


def hour_attribute_choices(user, kind=None):
    """(key, label in the reader's language) of the attributes the trainee's credentials ask of
    hour entries (of ``kind``)."""
    found = {}
    for credential in credentials_for(user):
        for attribute in credential.spec.hour_attributes:
            if kind is None or kind in attribute.kinds:
                found.setdefault(attribute.key, credential.local_label(attribute.label))
    return list(found.items())


def hour_attribute_hints(user, kind=None):
    """Attribute key -> (its help in the reader's language, the language it is written in), for
    the attributes of ``hour_attribute_choices`` that have help."""
    found = {}
    for credential in credentials_for(user):
        for attribute in credential.spec.hour_attributes:
            if (kind is None or kind in attribute.kinds) and attribute.key not in found:
                found[attribute.key] = credential.local_text(attribute.key, attribute.help) if attribute.help else None
    return {key: hint for key, hint in found.items() if hint}


def categories_for(user):
    """Continuing-education categories (key -> label in the reader's language) of the trainee's
    credentials."""
    found = {}
    for credential in credentials_for(user):
        if credential.spec.renewal:
            for key, category in credential.spec.renewal.categories.items():
                found.setdefault(key, credential.local_label(category.label))
    return found


def enrol(actor, user, credential, started_on):
    """Enrol a trainee in a credential from ``started_on``.

    Enrolling again with another date moves the start of the enrolment (and of the windows that
    start with it); an enrolment that had ended starts again. Enrolling again on the same date
    changes nothing and is refused, saying so. A date further back than ``ENROLMENT_BACKDATE_YEARS``
    is refused: windows that opened then would have closed long ago."""
    if not user.has_role("trainee"):
        raise ServiceError(_("Only trainees can be enrolled in a credential."), "credential")
    if started_on > date.today():
        raise ServiceError(_("The enrolment date cannot be in the future."), "started_on")
    years = current_app.config["ENROLMENT_BACKDATE_YEARS"]
    if started_on < date.today() - relativedelta(years=years):
        raise ServiceError(ngettext("The enrolment date cannot be more than %(num)d year ago.",
                                    "The enrolment date cannot be more than %(num)d years ago.", years), "started_on")
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                          Enrolment.credential_id == credential.id))
    if enrolment is not None and enrolment.ended_on is None and enrolment.started_on == started_on:
        raise ServiceError(_("%(name)s is already enrolled in %(title)s, since %(day)s. To move the start of their "
                             "windows, enter another date and enrol again; to stop, end the enrolment below.",
                             name=user.full_name, title=credential.local_title, day=format_date(started_on)),
                           "credential")
    if enrolment is None:
        enrolment = Enrolment(user_id=user.id, credential_id=credential.id, started_on=started_on)
        db.session.add(enrolment)
        event = "credential.enrolled"
    else:
        enrolment.started_on, enrolment.ended_on = started_on, None
        event = "credential.enrolment_changed"
    audit.record(event, actor=actor, subject=user, credential=credential.slug, started_on=started_on.isoformat())
    db.session.commit()
    return enrolment


def end_enrolment(actor, enrolment, ended_on=None):
    ended_on = ended_on or date.today()
    if enrolment.ended_on is not None:  # a form sent twice, or from a page opened before it ended
        raise ServiceError(_("This enrolment already ended on %(day)s.", day=format_date(enrolment.ended_on)),
                           "ended_on")
    if ended_on > date.today():  # the eligibility list and the person's page treat any end date as past
        raise ServiceError(_("The end date cannot be in the future."), "ended_on")
    if ended_on < enrolment.started_on:
        raise ServiceError(_("An enrolment cannot end before it started."), "ended_on")
    enrolment.ended_on = ended_on
    audit.record("credential.enrolment_ended", actor=actor, subject=enrolment.user,
                 credential=enrolment.credential.slug, ended_on=ended_on.isoformat())
    db.session.commit()


# --- Evidence -----------------------------------------------------------------------------------------

def requirement_spec(credential, key):
    """The evidence requirement (document, signature, external exam) with ``key``, or None."""
    from training.credentials.schema import walk

    return next((spec for _, spec in walk(credential.spec.requirements) if getattr(spec, "key", None) == key), None)


def text_digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def text_to_sign(credential, spec, language):
    """The text a signature requirement shows a reader of ``language``, the language it is written
    in (English where the file gives no translation), and its SHA-256."""
    text, written_in = credential.text_in(language, spec.key, spec.text)
    return text, written_in, text_digest(text)


def sign(user, credential, key, typed_name, language=None, shown_sha256=None):
    """The trainee signs the text a signature requirement shows, by typing their name.

    ``language`` is the language of the page the text was read on (the reader's, by default);
    the evidence records the language the text was written in and the SHA-256 of exactly that
    text. ``shown_sha256``, the digest of the text the page showed, refuses a signature of a
    text that changed between reading and signing.
    """
    from training.i18n import LANGUAGES, current_language

    spec = requirement_spec(credential, key)
    if spec is None or spec.kind != "signature":
        raise ServiceError(_("There is nothing to sign here."), "signed_name")
    typed = user.signature(typed_name, also_legal=True)
    if typed is None:
        raise ServiceError(_("Type your name exactly as it appears on your account to sign."), "signed_name")
    _text, written_in, digest = text_to_sign(credential, spec,
                                             language if language in LANGUAGES else current_language())
    if shown_sha256 and shown_sha256 != digest:
        raise ServiceError(_("The text changed while you were reading it. Read it again, then sign."), "signed_name")
    evidence = Evidence(user_id=user.id, key=key, title=spec.title, status="accepted", signed_name=typed,
                        text_sha256=digest, signed_language=written_in, signed_at=utcnow())
    db.session.add(evidence)
    audit.record("evidence.signed", actor=user, subject=user, key=key, title=spec.title,
                 text_sha256=evidence.text_sha256, language=written_in)
    db.session.commit()
    return evidence


def submit_document(user, credential, key, attachment, note=""):
    """The trainee uploads a document for an administrator to review."""
    spec = requirement_spec(credential, key)
    if spec is None or spec.kind != "document" or spec.provided_by != "trainee":
        raise ServiceError(_("This document is recorded by your programme administrator."), "file")
    if attachment is None:
        raise ServiceError(_("Choose a file to upload."), "file")
    evidence = Evidence(user_id=user.id, key=key, title=spec.title, attachment_id=attachment.id,
                        note=(note or "").strip())
    db.session.add(evidence)
    db.session.flush()
    event = audit.record("evidence.submitted", actor=user, subject=user, key=key, title=spec.title,
                         evidence=evidence.id)
    db.session.commit()
    announce(event)  # to the administrators, who review it
    return evidence


def record_evidence(admin, user, credential, key, occurred_on=None, quantity=None, attachment=None, note=""):
    """An administrator records evidence they verified themselves (a background check, an exam result)."""
    spec = requirement_spec(credential, key)
    if spec is None or spec.kind not in ("document", "external_exam"):
        raise ServiceError(_("That credential asks for no such evidence."), "key")
    if spec.kind == "external_exam" and (occurred_on is None or quantity is None and spec.pass_score is not None):
        raise ServiceError(_("Give the exam's date and score."), "occurred_on" if occurred_on is None else "quantity")
    if occurred_on and occurred_on > date.today():
        raise ServiceError(_("The date cannot be in the future."), "occurred_on")
    if spec.kind == "document" and getattr(spec, "quantity_at_least", None) is not None and quantity is None:
        raise ServiceError(_("Give the number of %(what)s.", what=credential.local_label(spec.quantity_label)),
                           "quantity")
    title = spec.title
    evidence = Evidence(user_id=user.id, key=key, title=title, status="accepted", occurred_on=occurred_on,
                        quantity=quantity, attachment_id=attachment.id if attachment else None,
                        note=(note or "").strip(), recorded_by_id=admin.id, reviewer_id=admin.id, reviewed_at=utcnow())
    db.session.add(evidence)
    db.session.flush()
    audit.record("evidence.recorded", actor=admin, subject=user, key=key, title=title, evidence=evidence.id,
                 occurred_on=occurred_on.isoformat() if occurred_on else "", quantity=quantity)
    db.session.commit()
    return evidence


def review_evidence(admin, evidence, decision, reason="", quantity=None):
    """Accept a submitted document, or return it with a reason the trainee sees.

    Where a requirement with the document's key counts something (college credits), accepting it
    takes the number verified; where none does, a number is not kept: it would count for nothing.
    """
    if evidence.status != "submitted":
        raise ServiceError(_("This has already been reviewed."), "decision")
    reason = (reason or "").strip()
    if decision == "return" and not reason:
        raise ServiceError(_("Say why it is returned, so the trainee knows what to send instead."), "reason")
    if decision not in ("accept", "return"):
        raise ServiceError(_("Choose accept or return."), "decision")
    counted = evidence_counts(evidence)
    if counted is not None and decision == "accept" and quantity is None:
        raise ServiceError(_("Give the number of %(what)s.", what=counted), "quantity")
    evidence.status = "accepted" if decision == "accept" else "returned"
    evidence.review_reason, evidence.reviewer_id, evidence.reviewed_at = reason, admin.id, utcnow()
    if counted is not None and quantity is not None:
        evidence.quantity = quantity
    event = audit.record(f"evidence.{'accepted' if decision == 'accept' else 'returned'}", actor=admin,
                         subject=evidence.user, key=evidence.key, title=evidence.title, evidence=evidence.id,
                         reason=reason)
    settle_evidence_requests(evidence)  # it waits for no other administrator now
    db.session.commit()
    announce(event)  # to the trainee


def evidence_waiting():
    """Documents trainees sent that wait for review, oldest first, as a statement to page through."""
    from training.supervision.models import Attachment

    # The list names each file; the files themselves stay in the database until opened.
    return (select(Evidence).options(selectinload(Evidence.user),
                                     selectinload(Evidence.attachment).options(load_only(Attachment.id,
                                                                                         Attachment.filename)))
            .where(Evidence.status == "submitted").order_by(Evidence.created_at, Evidence.id))


def evidence_waiting_before(evidence):
    """How many documents waiting for review come before ``evidence`` in :func:`evidence_waiting`'s order."""
    return db.session.scalar(select(func.count()).select_from(Evidence).where(
        Evidence.status == "submitted",
        or_(Evidence.created_at < evidence.created_at,
            and_(Evidence.created_at == evidence.created_at, Evidence.id < evidence.id))))


def evidence_titles():
    """Evidence key -> (credential, the title its file writes), from the active credentials (the
    first to ask for a key wins), read once per request."""
    from flask import has_request_context, request

    from training.credentials.schema import walk

    cache = vars(request) if has_request_context() else {}
    if "_evidence_titles" not in cache:
        titles = {}
        for credential in db.session.scalars(select(Credential).where(Credential.active).order_by(Credential.id)):
            for _path, spec in walk(credential.spec.requirements):
                if getattr(spec, "key", None) and getattr(spec, "title", None):
                    titles.setdefault(spec.key, (credential, spec.title))
        cache["_evidence_titles"] = titles
    return cache["_evidence_titles"]


def evidence_title_text(evidence):
    """The title of a piece of evidence in the reader's language, and the language it is written
    in: as the credential that asks for its key names it today, else the title stored with it."""
    from training.i18n import CONTENT_LANGUAGE

    found = evidence_titles().get(evidence.key)
    if found is None:
        return evidence.title, CONTENT_LANGUAGE
    credential, title = found
    return credential.local_label_language(title)


def evidence_counts(evidence):
    """What the requirement a piece of evidence is for counts (``college credits``), in the reader's
    language: as the first active credential whose requirement with its key counts something names
    it. None where no such requirement counts anything."""
    found = _counting_requirements().get(evidence.key)
    if found is None:
        return None
    credential, spec = found
    return credential.local_label(spec.quantity_label)


def _counting_requirements():
    """Evidence key -> (credential, requirement) of the active credentials' documents that count
    something, read once per request."""
    from flask import has_request_context, request

    from training.credentials.schema import walk

    cache = vars(request) if has_request_context() else {}
    if "_counting_requirements" not in cache:
        found = {}
        for credential in db.session.scalars(select(Credential).where(Credential.active).order_by(Credential.id)):
            for _path, spec in walk(credential.spec.requirements):
                if spec.kind == "document" and spec.quantity_at_least is not None:
                    found.setdefault(spec.key, (credential, spec))
        cache["_counting_requirements"] = found
    return cache["_counting_requirements"]


def credential_by_slug(slug):
    return db.session.scalar(select(Credential).where(Credential.slug == slug))
