"""The issuer's signing keys: created on first use, rotated by command, never unpublished.

Each generation holds two keys: RSA (RS256) for VC-JWT, the algorithm every Open Badges 3.0
verifier must accept, and Ed25519 for the ``eddsa-rdfc-2022`` Data Integrity proof. Each key
has its own URL under ``/issuer/keys/``, which answers with the public key alone: a JWK for
the RSA key (the JWT's ``kid``), a Multikey document for the Ed25519 key (the proof's
``verificationMethod``).

Keys live in the database so that every app server and worker signs with the same one;
private halves are encrypted with a key derived from ``SIGNING_KEYS_SECRET`` (by default
``SECRET_KEY``). If that secret changes, rotate: old public keys stay published, and the new
generation signs from then on.
"""
import base64
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

import base58
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from joserfc.jwk import ECKey, OKPKey, RSAKey
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from training.badges.models import IssuerKey
from training.db_types import utcnow
from training.extensions import db

RSA_BITS = 2048
ED25519_MULTICODEC = b"\xed\x01"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
_lock = threading.Lock()
_private = {}  # (key name, secret fingerprint) -> private key object, read once per process


class SigningKeyUnavailable(RuntimeError):
    """The current private key cannot be decrypted with this deployment's secret."""


def base_url():
    return current_app.config["BASE_URL"].rstrip("/")


def issuer_id():
    return f"{base_url()}/issuer"


def key_url(key):
    return f"{base_url()}/issuer/keys/{key.name}"


def _secret():
    return (current_app.config.get("SIGNING_KEYS_SECRET") or current_app.config["SECRET_KEY"]).encode()


def _fernet():
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"issuer signing keys").derive(_secret())
    return Fernet(base64.urlsafe_b64encode(derived))


def _pem(private):
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def multibase_ed25519(raw_public):
    """An Ed25519 public key as Multikey's ``publicKeyMultibase`` (base58btc, multicodec 0xed)."""
    return "z" + base58.b58encode(ED25519_MULTICODEC + raw_public).decode()


def _generate_rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def _new_pair(generation, stamp):
    suffix = secrets.token_hex(3)
    rsa_private = _generate_rsa()
    ed_private = ed25519.Ed25519PrivateKey.generate()
    rsa_public = RSAKey.import_key(_pem(rsa_private)).as_dict(private=False)
    ed_public = OKPKey.import_key(_pem(ed_private)).as_dict(private=False)
    fernet = _fernet()
    return [
        IssuerKey(name=f"{stamp}-rs256-{suffix}", algorithm="RS256", generation=generation, public_jwk=rsa_public,
                  private_key=fernet.encrypt(_pem(rsa_private))),
        IssuerKey(name=f"{stamp}-ed25519-{suffix}", algorithm="EdDSA", generation=generation, public_jwk=ed_public,
                  private_key=fernet.encrypt(_pem(ed_private))),
    ]


def _latest_generation():
    return db.session.scalar(select(func.max(IssuerKey.generation)).where(IssuerKey.algorithm == "RS256")) or 0


def _add_generation():
    """Add the next generation of keys and retire the previous ones; False if another server won."""
    generation = _latest_generation() + 1
    now = utcnow()
    try:
        with db.session.begin_nested():
            for key in db.session.scalars(select(IssuerKey).where(IssuerKey.retired_at.is_(None),
                                                                  IssuerKey.algorithm.in_(("RS256", "EdDSA")))):
                key.retired_at = now
            db.session.add_all(_new_pair(generation, now.strftime("%Y%m%d")))
    except IntegrityError:
        return False
    db.session.commit()
    return True


def _publish_legacy_key():
    """Keep publishing the P-256 key that signed credentials before keys moved to the database.

    Copies of those credentials carry the key's thumbprint as ``kid``; it stays at
    ``/issuer/jwks.json`` so they still verify. Nothing is signed with it any more.
    """
    config = current_app.config
    pem = config.get("SIGNING_KEY", "").encode()
    path = Path(config.get("SIGNING_KEY_FILE") or Path(current_app.instance_path) / "signing-key.pem")
    if not pem and path.is_file():
        pem = path.read_bytes()
    if not pem:
        return
    try:
        public = ECKey.import_key(pem).as_dict(private=False)
    except Exception:  # noqa: BLE001 - an unreadable old key is simply not published
        current_app.logger.warning("The old SIGNING_KEY could not be read; it is not published.")
        return
    thumbprint = ECKey.import_key(public).thumbprint()
    public.update(kid=thumbprint)
    try:
        with db.session.begin_nested():
            db.session.add(IssuerKey(name=f"legacy-es256-{thumbprint[:12].lower()}", algorithm="ES256", generation=0,
                                     public_jwk=public, retired_at=utcnow()))
    except IntegrityError:
        pass


def current_keys():
    """The (RSA, Ed25519) keys that sign new credentials, creating the first generation if needed."""
    def latest():  # one statement: the newest generation's pair
        newest = select(func.max(IssuerKey.generation)).where(IssuerKey.algorithm == "RS256").scalar_subquery()
        return {k.algorithm: k for k in db.session.scalars(
            select(IssuerKey).where(IssuerKey.generation == newest, IssuerKey.algorithm.in_(("RS256", "EdDSA"))))}

    keys = latest()
    if not keys:
        _publish_legacy_key()
        _add_generation()
        keys = latest()
    return keys["RS256"], keys["EdDSA"]


def rotate():
    """Retire the current keys and create the next generation. Returns the new (RSA, Ed25519) keys."""
    current_keys()
    while not _add_generation():
        db.session.rollback()
    return current_keys()


def private_key(key):
    """The decrypted private key of ``key``, read once per process."""
    fingerprint = hashes.Hash(hashes.SHA256())
    fingerprint.update(_secret())
    cache_key = (key.name, fingerprint.finalize())
    with _lock:
        if cache_key not in _private:
            try:
                pem = _fernet().decrypt(key.private_key)
            except (InvalidToken, TypeError) as error:
                raise SigningKeyUnavailable(
                    "The signing key cannot be read with this SIGNING_KEYS_SECRET (or SECRET_KEY). "
                    "Run `flask --app app certificates rotate-key` to start a new key.") from error
            _private[cache_key] = serialization.load_pem_private_key(pem, password=None)
        return _private[cache_key]


def published_keys():
    return list(db.session.scalars(select(IssuerKey).order_by(IssuerKey.generation.desc(), IssuerKey.algorithm)))


def public_jwk(key):
    """The JWK of a key as published: its URL as ``kid`` (a legacy key keeps its thumbprint)."""
    jwk = dict(key.public_jwk)
    if key.algorithm != "ES256":
        jwk["kid"] = key_url(key)
    jwk.update(use="sig", alg=key.algorithm)
    return jwk


def multikey_document(key):
    """The Ed25519 key as a Multikey document, controlled by the issuer."""
    raw = base64.urlsafe_b64decode(key.public_jwk["x"] + "==")
    return {"@context": MULTIKEY_CONTEXT, "id": key_url(key), "type": "Multikey", "controller": issuer_id(),
            "publicKeyMultibase": multibase_ed25519(raw)}


def key_document(key):
    """What a key's URL answers: a JWK, or for Ed25519 the Multikey document proofs point to."""
    if key.algorithm == "EdDSA":
        return multikey_document(key)
    return public_jwk(key)


def now_iso():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
