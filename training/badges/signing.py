"""Securing credentials: an embedded Data Integrity proof and a VC-JWT.

``eddsa-rdfc-2022`` (W3C Data Integrity EdDSA Cryptosuites): the document without its proof
and the proof options (with the document's ``@context``) are each canonicalised with
RDFC-1.0 and hashed with SHA-256; the Ed25519 signature over the proof options' hash
followed by the document's hash is the ``proofValue``, multibase base58btc.

VC-JWT (W3C VC-JOSE-COSE, as Open Badges 3.0 profiles it): a compact JWS whose payload is the
credential itself with the registered claims ``iss``, ``sub``, ``nbf``, ``exp`` and ``jti``,
signed RS256, its ``kid`` the URL of the public JWK.
"""
import hashlib
import json
from datetime import datetime

import base58
from joserfc import jws
from joserfc.jwk import RSAKey

from training.badges.jsonld import canonicalize
from training.badges.keys import key_url, private_key

CRYPTOSUITE = "eddsa-rdfc-2022"
JWT_MEDIA_TYPE = "application/vc+jwt"


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).digest()


def data_integrity_hash(document, proof_options):
    """The bytes an ``eddsa-rdfc-2022`` signature covers."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = dict(proof_options, **{"@context": document["@context"]})
    config.pop("proofValue", None)
    return _sha256(canonicalize(config)) + _sha256(canonicalize(unsecured))


def add_data_integrity_proof(document, ed_key, created):
    """The document with an embedded ``DataIntegrityProof`` signed by ``ed_key``."""
    options = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": created,
               "verificationMethod": key_url(ed_key), "proofPurpose": "assertionMethod"}
    signature = private_key(ed_key).sign(data_integrity_hash(document, options))
    # A set of one proof: the Open Badges schema asks for an array.
    return dict(document, proof=[dict(options, proofValue="z" + base58.b58encode(signature).decode())])


def _epoch(stamp):
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def vc_jwt(document, rsa_key):
    """The credential (without an embedded proof) as a compact VC-JWT."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    claims = dict(unsecured, iss=unsecured["issuer"]["id"], jti=unsecured["id"],
                  nbf=_epoch(unsecured["validFrom"]))
    subject = unsecured.get("credentialSubject", {}).get("id")
    if subject:
        claims["sub"] = subject
    if unsecured.get("validUntil"):
        claims["exp"] = _epoch(unsecured["validUntil"])
    header = {"alg": "RS256", "kid": key_url(rsa_key), "typ": "vc+jwt", "cty": "vc"}
    key = RSAKey.import_key(private_key(rsa_key))
    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(header, payload, key, algorithms=["RS256"])
