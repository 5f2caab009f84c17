"""Open Badges 3.0: each certificate as a signed OpenBadgeCredential (VC 2.0, VC-JWT).

The credential is signed with the issuer's P-256 key as a VC-JWT (ES256); the public
key is published as a JWKS at the stable issuer URL ``/issuer/jwks.json`` so anyone can
check a credential without trusting the verification page. The JSON document carries the
credential and, in ``proof``, the compact JWS whose payload is that same credential.
"""
import hashlib
import threading
from datetime import UTC, datetime, time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from joserfc import jwt
from joserfc.jwk import ECKey

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
_lock = threading.Lock()
_keys = {}


class SigningKeyMissing(RuntimeError):
    pass


def _private_pem():
    """The issuer's P-256 key: SIGNING_KEY (PEM), or a key file created on first use outside production."""
    config = current_app.config
    if config.get("SIGNING_KEY"):
        return config["SIGNING_KEY"].encode()
    path = Path(config.get("SIGNING_KEY_FILE") or Path(current_app.instance_path) / "signing-key.pem")
    if path.is_file():
        return path.read_bytes()
    if config.get("ENV_NAME") == "production":
        raise SigningKeyMissing("Production needs SIGNING_KEY (a P-256 private key in PEM) or SIGNING_KEY_FILE; "
                                "create one with: flask --app app certificates keygen")
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pem)
    path.chmod(0o600)
    return pem


def signing_key():
    """The parsed key, read once per process for each configured source."""
    config = current_app.config
    source = config.get("SIGNING_KEY") or config.get("SIGNING_KEY_FILE") or current_app.instance_path
    with _lock:
        if source not in _keys:
            key = ECKey.import_key(_private_pem())
            key.ensure_kid()
            _keys[source] = key
        return _keys[source]


def public_jwks():
    key = signing_key()
    public = key.as_dict(private=False)
    public.update({"use": "sig", "alg": "ES256"})
    return {"keys": [public]}


def base_url():
    return current_app.config["BASE_URL"].rstrip("/")


def issuer_id():
    return f"{base_url()}/issuer"


def issuer_profile():
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer_id(),
        "type": ["Profile"],
        "name": current_app.config["ORGANISATION_NAME"],
        "url": base_url(),
        "description": "Issuer of peer recovery specialist certificates. Public keys: " + f"{issuer_id()}/jwks.json",
    }


def _timestamp(day, end=False):
    return datetime.combine(day, time(23, 59, 59) if end else time(0, 0), tzinfo=UTC)


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def credential_json(certificate, today=None):
    """The certificate as an OpenBadgeCredential (unsigned)."""
    state = certificate.state(today)
    salt = hashlib.sha256(f"{certificate.code}:salt".encode()).hexdigest()[:16]
    email_hash = hashlib.sha256((certificate.holder.email.lower() + salt).encode()).hexdigest()
    hours = certificate.hours
    training = ", ".join(f"{d} {m / 60:g} h" for d, m in hours.get("training", {}).items())
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": certificate.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{certificate.credential_title}: {certificate.holder_name}",
        "description": f"Certificate {certificate.number} for {certificate.credential_title}.",
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": certificate.issuer_name, "url": base_url()},
        "validFrom": _iso(_timestamp(certificate.issued_on)),
        "validUntil": _iso(_timestamp(certificate.expires_on, end=True)),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "name", "hashed": False,
                 "identityHash": certificate.holder_name},
                {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                 "identityHash": f"sha256${email_hash}", "salt": salt},
            ],
            "licenseNumber": certificate.number,
            "achievement": {
                "id": f"{base_url()}/credentials/{certificate.credential_slug}",
                "type": ["Achievement"],
                "achievementType": "License",
                "name": certificate.credential_title,
                "description": certificate.credential_description or certificate.credential_title,
                "criteria": {"narrative": (
                    f"Training hours by domain ({training}); {hours.get('service', 0) / 60:g} hours of supervised "
                    f"peer support work; {hours.get('supervision', 0) / 60:g} hours of supervision; and the final "
                    "exam, as recorded and attested on the training platform.")},
            },
        },
        "credentialStatus": {"id": f"{issuer_id()}/revocations.json", "type": "1EdTechRevocationList",
                             "status": state},
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def sign(credential):
    """A VC-JWT (compact JWS, ES256) whose payload is the credential."""
    key = signing_key()
    valid_from = datetime.strptime(credential["validFrom"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    valid_until = datetime.strptime(credential["validUntil"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    claims = dict(credential, iss=credential["issuer"]["id"], jti=credential["id"],
                  nbf=int(valid_from.timestamp()), exp=int(valid_until.timestamp()))
    header = {"alg": "ES256", "kid": key.kid, "typ": "vc+jwt", "cty": "vc"}
    return jwt.encode(header, claims, key, algorithms=["ES256"])


def signed_credential(certificate, today=None):
    """The credential with its VC-JWT in ``proof``."""
    credential = credential_json(certificate, today)
    token = sign(credential)
    return dict(credential, proof=[{"type": "JwtProof2020", "proofPurpose": "assertionMethod",
                                    "verificationMethod": f"{issuer_id()}/jwks.json#{signing_key().kid}",
                                    "created": _iso(datetime.now(UTC)), "jwt": token}])


def revocation_list(certificates):
    return {"id": f"{issuer_id()}/revocations.json", "type": "1EdTechRevocationList",
            "revokedCredentials": [{"id": c.verify_url, "revocationReason": c.revoked_reason} for c in certificates]}
