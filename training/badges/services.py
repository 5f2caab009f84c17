"""Each certificate as an Open Badges 3.0 ``OpenBadgeCredential``, signed once and stored.

A credential is signed when its certificate is issued (or, for certificates issued before
credentials were stored, the first time it is asked for) and stored in both forms: JSON with
an embedded Data Integrity proof, and a VC-JWT. Both are then served byte for byte: a
certificate's state is never written into its credential; revocation is published in the
status list the credential points to.
"""
import hashlib
import json
import re
import secrets
import uuid
from datetime import UTC, datetime, time

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from training.badges.jsonld import OB_CONTEXT, VC_CONTEXT
from training.badges.keys import base_url, current_keys, issuer_id, now_iso
from training.badges.models import BadgeHolder
from training.badges.signing import add_data_integrity_proof, vc_jwt
from training.badges.status import status_entry
from training.extensions import db

OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"


def _hours(minutes):
    return f"{minutes / 60:g}"


def _iso(day, end=False):
    return datetime.combine(day, time(23, 59, 59) if end else time(0, 0), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def domain_anchor(index):
    return f"domain-{index + 1}"


def criteria(credential):
    """The credential's requirements, one sentence each, for the achievement's criteria.

    Read from the credential rules, the one owner of what a requirement means; the
    achievement page and every newly signed credential use it.
    """
    from training.credentials.evaluation import compile_credentials

    return [_sentence(text) for text in compile_credentials([credential])[credential.id].criteria()]


def _sentence(text):
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def domain_hours_required(credential, domain):
    """Training hours the credential asks for in ``domain`` (None when it sets no minimum there)."""
    for requirement in credential.spec.requirements:
        if getattr(requirement, "kind", None) == "training_hours" and domain in requirement.domains:
            return requirement.domains[domain]
    return None


def achievement_url(slug):
    return f"{base_url()}/credentials/{slug}"


def achievement(credential):
    """The credential as an Open Badges ``Achievement``: criteria, and an alignment per domain.

    Written in the language credential files are written in, whoever's request asks: it is
    signed into each credential, and a signed document never depends on who was looking.
    """
    from training.credentials.rules import messages
    from training.i18n import CONTENT_LANGUAGE, in_language

    with in_language(CONTENT_LANGUAGE), messages():
        lines = criteria(credential)
    url = achievement_url(credential.slug)
    alignment = []
    for index, domain in enumerate(credential.domains):
        hours = domain_hours_required(credential, domain)
        entry = {"type": ["Alignment"], "targetName": domain, "targetUrl": f"{url}#{domain_anchor(index)}",
                 "targetFramework": credential.title}
        if hours:
            entry["targetDescription"] = f"{_hours(hours * 60)} hours of training in {domain}."
        alignment.append(entry)
    return {
        "id": url,
        "type": ["Achievement"],
        "achievementType": "License",
        "name": credential.title,
        "description": credential.description or credential.title,
        "criteria": {"id": url, "narrative": "\n".join(f"- {line}" for line in lines)},
        "alignment": alignment,
        "resultDescription": [_result_description(url, key, name) for key, name in _result_names(credential)],
    }


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _result_names(credential):
    names = [(f"training-{_slug(domain)}", f"Training hours: {domain}") for domain in credential.domains]
    return names + [("training-all-domains", "Training hours: all domains"),
                    ("supervised-work", "Supervised peer support work hours"),
                    ("supervision", "Supervision hours received")]


def _result_description(url, key, name):
    return {"id": f"{url}#result-{key}", "type": ["ResultDescription"], "name": name, "resultType": "Result"}


def _results(certificate, url):
    """The holder's own hours, frozen on the certificate, as results of the achievement."""
    hours = certificate.hours or {}
    results = []
    for domain, minutes in (hours.get("training") or {}).items():
        key = "training-all-domains" if domain == "All domains" else f"training-{_slug(domain)}"
        results.append((key, minutes))
    results += [("supervised-work", hours.get("service", 0)), ("supervision", hours.get("supervision", 0))]
    return [{"type": ["Result"], "resultDescription": f"{url}#result-{key}", "value": _hours(minutes)}
            for key, minutes in results]


def holder_url(user_id):
    """The stable URL identifying a holder: the subject of every credential they hold."""
    public_id = db.session.scalar(select(BadgeHolder.public_id).where(BadgeHolder.user_id == user_id))
    if public_id is None:
        public_id = str(uuid.uuid4())
        try:
            with db.session.begin_nested():
                db.session.add(BadgeHolder(user_id=user_id, public_id=public_id))
        except IntegrityError:  # made at the same moment by another request: theirs is the one
            public_id = db.session.scalar(select(BadgeHolder.public_id).where(BadgeHolder.user_id == user_id))
    return f"{base_url()}/holders/{public_id}"


def credential_document(certificate, subject_id):
    """The unsigned credential for a certificate, from what was frozen on it at issue."""
    credential = certificate.credential
    body = achievement(credential)
    salt = secrets.token_hex(8)
    email_hash = hashlib.sha256((certificate.holder.email.lower() + salt).encode()).hexdigest()
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": certificate.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{certificate.credential_title}: {certificate.holder_name}",
        "description": f"Certificate {certificate.number} for {certificate.credential_title}.",
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": certificate.issuer_name, "url": base_url()},
        "validFrom": _iso(certificate.issued_on),
        "validUntil": _iso(certificate.expires_on, end=True),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "name", "hashed": False,
                 "identityHash": certificate.holder_name},
                {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                 "identityHash": f"sha256${email_hash}", "salt": salt},
            ],
            "licenseNumber": certificate.number,
            "achievement": body,
            "result": _results(certificate, body["id"]),
        },
        "credentialStatus": status_entry(certificate.id),
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def sign_certificate(certificate, keys=None, subject=None):
    """(JSON with an embedded proof, VC-JWT) for a certificate, ready to store; ``keys`` (from
    ``current_keys``) and ``subject`` (the ``holder_url``) when the caller has them already."""
    rsa_key, ed_key = keys or current_keys()
    document = credential_document(certificate, subject or holder_url(certificate.user_id))
    signed = add_data_integrity_proof(document, ed_key, now_iso())
    return json.dumps(signed, ensure_ascii=False, indent=2), vc_jwt(document, rsa_key)


def stored_credential(certificate):
    """The certificate's stored (JSON, VC-JWT); signed and stored now if it predates stored credentials.

    Two requests signing the same old certificate at once store one result: the update only
    applies while nothing is stored, and the loser reads the winner's.
    """
    from training.certificates.models import Certificate

    if certificate.signed_json is None:
        signed_json, signed_jwt = sign_certificate(certificate)
        db.session.execute(update(Certificate).where(Certificate.id == certificate.id,
                                                     Certificate.signed_json.is_(None))
                           .values(signed_json=signed_json, signed_jwt=signed_jwt))
        db.session.commit()
        db.session.refresh(certificate)
    return certificate.signed_json, certificate.signed_jwt


def sign_missing(batch=200, progress=None):
    """Sign and store the credentials of every certificate that has none yet. Returns how many."""
    from training.certificates.models import Certificate

    done = 0
    while True:
        ids = list(db.session.scalars(select(Certificate.id).where(Certificate.signed_json.is_(None))
                                      .order_by(Certificate.id).limit(batch)))
        if not ids:
            return done
        for certificate_id in ids:
            stored_credential(db.session.get(Certificate, certificate_id))
            done += 1
            if progress:
                progress(1)


def issuer_profile():
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer_id(),
        "type": ["Profile"],
        "name": current_app.config["ORGANISATION_NAME"],
        "url": base_url(),
        "description": "Issuer of peer recovery specialist certificates. Public keys: "
                       f"{issuer_id()}/jwks.json",
    }
