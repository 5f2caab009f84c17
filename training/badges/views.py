"""Public Open Badges documents: issuer, keys, status lists, achievements and holders."""
import json
from datetime import date

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from training.badges import bp
from training.badges.keys import SigningKeyUnavailable, base_url, key_document, public_jwk, published_keys
from training.badges.models import BadgeHolder, IssuerKey
from training.badges.services import achievement, criteria, domain_anchor, domain_hours_required, issuer_profile
from training.badges.status import LIST_SIZE, status_list_credential, status_list_url
from training.extensions import db, limiter

JSON_TYPES = ["application/ld+json", "application/json"]


def _verify_limit():
    return current_app.config["VERIFY_RATE_LIMIT"]


def _public_json(body, mimetype="application/json", max_age=3600):
    """A public document anyone may fetch from any site; a stored body is sent byte for byte."""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, indent=2)
    response = Response(text, mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.app_errorhandler(SigningKeyUnavailable)
def signing_key_unavailable(error):
    """Signing is impossible until the keys are rotated: say so, change nothing."""
    db.session.rollback()
    current_app.logger.error("Signing key unavailable: %s", error)
    return render_template("errors/error.html", code=503, title=_("Signing is unavailable for a moment"),
                           message=_("The issuer's signing key cannot be used on this server. Nothing was changed. "
                                     "An administrator needs to run the command that starts new signing keys "
                                     "(certificates rotate-key).")), 503


def wants_json():
    """True when the client asks for JSON rather than a page (content negotiation)."""
    best = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES])
    return best in JSON_TYPES and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


@bp.route("/issuer")
def issuer():
    """The issuer's Open Badges profile."""
    return _public_json(issuer_profile())


@bp.route("/issuer/jwks.json")
def jwks():
    """Every public key that has signed credentials, current and retired."""
    return _public_json({"keys": [public_jwk(key) for key in published_keys()]}, max_age=300)


@bp.route("/issuer/keys/<name>")
def key(name):
    """One public key: a JWK (the VC-JWT ``kid``) or a Multikey document (the proof's verification method)."""
    found = db.session.scalar(select(IssuerKey).where(IssuerKey.name == name[:80]))
    if found is None:
        abort(404)
    document = key_document(found)
    return _public_json(document, "application/jwk+json" if "kty" in document else "application/json")


@bp.route("/issuer/status/<int:list_id>")
@limiter.limit(_verify_limit)
def status_list(list_id):
    """A signed Bitstring Status List credential: one bit per certificate, set when revoked."""
    body = status_list_credential(list_id) if list_id <= 2**31 // LIST_SIZE else None
    if body is None:
        abort(404)
    return _public_json(body, "application/json", max_age=60)


@bp.route("/issuer/revocations.json")
def revocations():
    """Gone: revocation is published as a Bitstring Status List."""
    response = _public_json({
        "error": "This list is no longer published. Each credential's credentialStatus names the "
                 "Bitstring Status List that says whether it is revoked.",
        "statusListCredential": status_list_url(1),
    })
    response.status_code = 410
    return response


@bp.route("/credentials/<slug>")
def achievement_page(slug):
    """What a credential asks of its holders: the achievement that each certificate's badge names."""
    from training.credentials.models import Credential

    credential = db.session.scalar(select(Credential).where(Credential.slug == slug[:100]))
    if credential is None:
        abort(404)
    body = {"@context": ["https://www.w3.org/ns/credentials/v2",
                         "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"], **achievement(credential)}
    if wants_json():
        return _public_json(body)
    domains = [(domain_anchor(i), d, domain_hours_required(credential, d)) for i, d in enumerate(credential.domains)]
    response = Response(render_template("badges/achievement.html", credential=credential, criteria=criteria(credential),
                                        domains=domains, achievement=body))
    response.vary.add("Accept")
    return response


def holder_url_for(public_id):
    return f"{base_url()}/holders/{public_id}"


@bp.route("/holders/<public_id>")
@limiter.limit(_verify_limit)
def holder(public_id):
    """A holder's record: the certificates from this issuer they currently hold."""
    from training.certificates.models import Certificate

    found = db.session.scalar(select(BadgeHolder).where(BadgeHolder.public_id == public_id[:40]))
    if found is None:
        abort(404)
    certificates = list(db.session.scalars(
        select(Certificate).where(Certificate.user_id == found.user_id, Certificate.status == "valid",
                                  Certificate.expires_on >= date.today())
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())))
    if wants_json():
        return _public_json({"id": holder_url_for(public_id), "certificates": [c.verify_url for c in certificates]},
                            max_age=300)
    name = certificates[0].holder_name if certificates else None
    return render_template("badges/holder.html", certificates=certificates, name=name)
