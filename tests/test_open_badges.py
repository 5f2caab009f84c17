"""Open Badges 3.0 as outside verifiers check it, with tools other than the ones that signed it.

The app signs with ``cryptography`` and ``joserfc``. These tests verify with PyJWT (VC-JWT),
PyNaCl and a base58 decoder written here (Data Integrity), and pyld for canonicalisation,
fetching keys and status lists only through their published URLs.
"""
import base64
import gzip
import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path

import jwt as pyjwt
import nacl.exceptions
import nacl.signing
import pytest
from jsonschema import Draft201909Validator
from pyld import jsonld

from training.badges.models import IssuerKey
from training.certificates.models import Certificate
from training.certificates.services import issue, reinstate, revoke
from training.extensions import db

from .conftest import count_statements
from .test_certificates import certificate, credential, make_eligible, ready  # noqa: F401  (fixtures)

BASE = "http://localhost"
SCHEMA = json.loads((Path(__file__).parent / "data" / "ob_v3p0_achievementcredential_schema.json").read_text())
CONTEXTS = Path(__file__).resolve().parent.parent / "training" / "badges" / "data" / "contexts"
CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
}
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# --- An independent verifier, written from the specifications -------------------------------

def b58decode(text):
    number = 0
    for char in text:
        number = number * 58 + B58.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


def offline_loader(url, options=None):
    if url not in CONTEXT_FILES:
        raise jsonld.JsonLdError("not available offline", "jsonld.LoadDocumentError", code="loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads((CONTEXTS / CONTEXT_FILES[url]).read_text())}


def rdfc(document):
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "documentLoader": offline_loader})


def fetch(client, url):
    assert url.startswith(BASE + "/"), url
    response = client.get(url[len(BASE):])
    assert response.status_code == 200, url
    return response


def verify_data_integrity(client, document):
    """VC Data Integrity EdDSA (eddsa-rdfc-2022) verification; raises if it does not verify."""
    proofs = document["proof"]
    proof = proofs[0] if isinstance(proofs, list) else proofs
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    method = fetch(client, proof["verificationMethod"]).get_json()
    issuer = document["issuer"]["id"] if isinstance(document["issuer"], dict) else document["issuer"]
    assert method["type"] == "Multikey" and method["controller"] == issuer and method["id"] == proof["verificationMethod"]
    multicodec = b58decode(method["publicKeyMultibase"].removeprefix("z"))
    assert multicodec[:2] == b"\xed\x01" and len(multicodec) == 34
    options = {k: v for k, v in proof.items() if k != "proofValue"} | {"@context": document["@context"]}
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    signed = hashlib.sha256(rdfc(options).encode()).digest() + hashlib.sha256(rdfc(unsecured).encode()).digest()
    nacl.signing.VerifyKey(multicodec[2:]).verify(signed, b58decode(proof["proofValue"].removeprefix("z")))


def verify_jwt(client, token):
    """Check a VC-JWT with PyJWT and the key its ``kid`` URL publishes."""
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["typ"] == "vc+jwt"
    jwk = fetch(client, header["kid"]).get_json()
    key = pyjwt.PyJWK(jwk)
    return pyjwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False,
                                                                       "require": ["iss", "sub", "nbf", "exp", "jti"]})


def is_revoked(client, document):
    """The status as a verifier finds it: only the credential and the status list it names."""
    entry = document["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    status_list = fetch(client, entry["statusListCredential"]).get_json()
    verify_data_integrity(client, status_list)
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    encoded = status_list["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) * 8 >= 131_072
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def credential_of(client, cert):
    return client.get(f"/verify/{cert.grouped_code}.json")


# --- The JSON credential with its Data Integrity proof ---------------------------------------

def test_the_json_credential_is_valid_against_the_official_schema(certificate, client):  # noqa: F811
    document = credential_of(client, certificate).get_json()
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    errors = sorted(Draft201909Validator(SCHEMA).iter_errors(document), key=str)
    assert errors == [], [e.message for e in errors]


def test_the_data_integrity_proof_verifies_independently_and_tampering_breaks_it(certificate, client):  # noqa: F811
    document = credential_of(client, certificate).get_json()
    verify_data_integrity(client, document)
    tampered = json.loads(json.dumps(document))
    tampered["credentialSubject"]["result"][0]["value"] = "999"
    with pytest.raises(nacl.exceptions.BadSignatureError):
        verify_data_integrity(client, tampered)
    renamed = dict(document, name="Someone Else")
    with pytest.raises(nacl.exceptions.BadSignatureError):
        verify_data_integrity(client, renamed)


def test_every_term_is_defined_so_nothing_escapes_the_signature(certificate, client):  # noqa: F811
    """JSON-LD drops undefined terms silently; a round trip through expansion must keep every one."""
    document = credential_of(client, certificate).get_json()
    compacted = jsonld.compact(jsonld.expand(document, {"documentLoader": offline_loader}), document["@context"],
                               {"documentLoader": offline_loader})
    compacted.pop("@context")
    original = {k: v for k, v in document.items() if k != "@context"}
    # The one exception is the schema validator type that Open Badges 3.0 itself prescribes and
    # its context leaves undefined: it stays unsigned, as with every OB 3.0 issuer.
    assert compacted.pop("credentialSchema")["type"].endswith("/1EdTechJsonSchemaValidator2019")
    assert original.pop("credentialSchema")[0]["type"] == "1EdTechJsonSchemaValidator2019"
    assert squash(compacted) == squash(original)


def squash(value):
    """Compaction writes a one-item array as its item; compare without that difference."""
    if isinstance(value, list):
        return squash(value[0]) if len(value) == 1 else [squash(v) for v in value]
    if isinstance(value, dict):
        return {k: squash(v) for k, v in value.items()}
    return value


def test_contexts_are_never_fetched():
    from training.badges.jsonld import ContextNotShipped, canonicalize, load_document

    with pytest.raises(jsonld.JsonLdError) as raised:
        canonicalize({"@context": "https://example.org/context.jsonld", "name": "x"})
    causes, error = [], raised.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, ContextNotShipped) for e in causes)
    assert jsonld.get_document_loader() is load_document  # no fallback to a network loader


def test_the_credential_is_byte_stable_and_has_holder_and_hours(certificate, client):  # noqa: F811
    first, second = credential_of(client, certificate), credential_of(client, certificate)
    assert first.data == second.data and first.headers["Access-Control-Allow-Origin"] == "*"
    document = first.get_json()
    subject = document["credentialSubject"]
    assert subject["id"].startswith(f"{BASE}/holders/")
    results = {r["resultDescription"].split("#result-")[1]: r["value"] for r in subject["result"]}
    assert results["supervised-work"] == "500" and results["training-ethical-responsibility"] == "16"
    narrative = subject["achievement"]["criteria"]["narrative"]
    assert re.search(r"500\b[^.]* of supervised peer support work", narrative)
    assert re.search(r"Ethical Responsibility 16\b", narrative)
    assert "Tina" not in narrative  # the criteria are the credential's; the holder's hours are results
    # Later changes to the person or the credential never change what was signed.
    certificate.holder.full_name = "Changed Name"
    certificate.credential.title = "Renamed"
    db.session.commit()
    assert credential_of(client, certificate).data == first.data


def test_a_stored_credential_is_served_in_one_statement(certificate, client):  # noqa: F811
    """The verifier's JSON and JWT each read the certificate and its signed credential together."""
    stored = db.session.get(Certificate, certificate.id)
    for suffix, body in ((".json", stored.signed_json), (".jwt", stored.signed_jwt)):
        url = f"/verify/{stored.grouped_code}{suffix}"
        with count_statements() as statements:
            response = client.get(url)
        assert response.status_code == 200 and response.get_data(as_text=True) == body
        assert len(statements) == 1, statements


def test_a_credential_issued_before_storage_is_signed_once_then_stored(certificate, client):  # noqa: F811
    db.session.execute(db.update(Certificate).values(signed_json=None, signed_jwt=None))
    db.session.commit()
    first = credential_of(client, certificate).data
    stored = db.session.get(Certificate, certificate.id)
    assert stored.signed_json.encode() == first and stored.signed_jwt
    assert credential_of(client, certificate).data == first
    verify_data_integrity(client, json.loads(first))


def test_cli_signs_every_missing_credential(certificate, runner):  # noqa: F811
    db.session.execute(db.update(Certificate).values(signed_json=None, signed_jwt=None))
    db.session.commit()
    result = runner.invoke(args=["certificates", "sign-missing"])
    assert result.exit_code == 0 and "1 credential signed and stored." in result.output
    assert db.session.get(Certificate, certificate.id).signed_json


# --- VC-JWT ---------------------------------------------------------------------------------------

def test_the_vc_jwt_verifies_with_pyjwt_from_the_kid_url_alone(certificate, client):  # noqa: F811
    response = client.get(f"/verify/{certificate.grouped_code}.jwt")
    assert response.mimetype == "application/vc+jwt"
    claims = verify_jwt(client, response.text)
    document = credential_of(client, certificate).get_json()
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    assert {k: claims[k] for k in unsecured} == unsecured
    assert claims["iss"] == document["issuer"]["id"] == f"{BASE}/issuer"
    assert claims["sub"] == document["credentialSubject"]["id"] and claims["jti"] == document["id"]
    assert claims["exp"] > claims["nbf"]
    token = response.text
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(pyjwt.InvalidSignatureError):
        verify_jwt(client, tampered)
    errors = sorted(Draft201909Validator(SCHEMA).iter_errors(unsecured), key=str)
    assert errors == []


@pytest.mark.parametrize("accept, media_type", [
    ("application/vc+jwt", "application/vc+jwt"),
    ("application/vc", "application/vc"),
    ("application/ld+json", "application/ld+json"),
    ("application/json", "application/json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("*/*", "text/html"),
])
def test_verify_url_negotiates_the_representation(certificate, client, accept, media_type):  # noqa: F811
    response = client.get(f"/verify/{certificate.grouped_code}", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    if media_type == "application/vc+jwt":
        assert response.text == client.get(f"/verify/{certificate.grouped_code}.jwt").text
    elif media_type != "text/html":
        assert response.data == credential_of(client, certificate).data


# --- Keys and rotation ----------------------------------------------------------------------------

def test_rotation_signs_new_credentials_with_new_keys_and_keeps_old_ones_published(
        certificate, client, runner, people, course, credential):  # noqa: F811
    old_document = credential_of(client, certificate).get_json()
    old_kid = pyjwt.get_unverified_header(client.get(f"/verify/{certificate.grouped_code}.jwt").text)["kid"]
    result = runner.invoke(args=["certificates", "rotate-key"])
    assert result.exit_code == 0 and "generation 2" in result.output
    make_eligible(people["other_trainee"], course)
    newer, _ = issue(people["other_trainee"], credential)
    new_document = credential_of(client, newer).get_json()
    new_kid = pyjwt.get_unverified_header(client.get(f"/verify/{newer.grouped_code}.jwt").text)["kid"]
    assert new_kid != old_kid
    assert new_document["proof"][0]["verificationMethod"] != old_document["proof"][0]["verificationMethod"]
    for cert, document in ((certificate, old_document), (newer, new_document)):
        verify_data_integrity(client, document)
        verify_jwt(client, client.get(f"/verify/{cert.grouped_code}.jwt").text)
    published = {k["kid"] for k in client.get("/issuer/jwks.json").get_json()["keys"]}
    assert {old_kid, new_kid} <= published and len(published) == 4
    assert db.session.scalar(db.select(db.func.count()).select_from(IssuerKey).where(
        IssuerKey.retired_at.is_(None))) == 2


def test_an_unknown_key_is_404(app, client):
    assert client.get("/issuer/keys/nope").status_code == 404


def test_a_changed_secret_asks_for_rotation_instead_of_signing(certificate, app, people, course, credential,  # noqa: F811
                                                               login_as, runner):
    from training.badges.keys import SigningKeyUnavailable

    app.config["SIGNING_KEYS_SECRET"] = "another-secret-entirely"
    make_eligible(people["other_trainee"], course)
    with pytest.raises(SigningKeyUnavailable, match="rotate-key"):
        issue(people["other_trainee"], credential)
    db.session.rollback()  # as the error handler does for a request
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 1
    page = login_as(people["admin"]).post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": "Error",
                                                                                             "confirmed": "yes"})
    assert page.status_code == 503 and "certificates rotate-key" in page.text
    assert db.session.get(Certificate, certificate.id).status == "valid"
    assert runner.invoke(args=["certificates", "rotate-key"]).exit_code == 0
    revoke(people["admin"], certificate, "Error")
    assert is_revoked(app.test_client(), credential_of(app.test_client(), certificate).get_json())


# --- Revocation by status list ---------------------------------------------------------------------

def test_a_revoked_certificate_is_found_revoked_through_the_status_list_alone(certificate, client, people):  # noqa: F811
    document = credential_of(client, certificate).get_json()
    assert not is_revoked(client, document)
    revoke(people["admin"], certificate, "Issued in error", private_note="Duplicate account")
    assert is_revoked(client, document)
    assert credential_of(client, certificate).get_json() == document  # the credential itself never changes
    status_list = client.get(document["credentialStatus"]["statusListCredential"][len(BASE):]).text
    for secret in (certificate.code, certificate.grouped_code, certificate.holder_name, "Issued in error",
                   certificate.holder.email, certificate.number):
        assert secret not in status_list
    reinstate(people["admin"], certificate, "Checked again")
    assert not is_revoked(client, document)


def test_revoking_one_leaves_the_others_bits_alone(certificate, client, people, course, credential):  # noqa: F811
    make_eligible(people["other_trainee"], course)
    other, _ = issue(people["other_trainee"], credential)
    revoke(people["admin"], other, "Issued in error")
    assert is_revoked(client, credential_of(client, other).get_json())
    assert not is_revoked(client, credential_of(client, certificate).get_json())


def test_status_lists_nobody_uses_are_404(certificate, client):  # noqa: F811
    assert client.get("/issuer/status/2").status_code == 404
    assert client.get("/issuer/status/0").status_code == 404
    assert client.get(f"/issuer/status/{2**40}").status_code == 404


def test_the_old_revocation_list_is_gone_and_points_to_the_status_list(certificate, client, people):  # noqa: F811
    revoke(people["admin"], certificate, "Issued in error")
    response = client.get("/issuer/revocations.json")
    assert response.status_code == 410
    assert response.get_json()["statusListCredential"] == f"{BASE}/issuer/status/1"
    assert certificate.code not in response.text and certificate.grouped_code not in response.text


# --- Achievement, holder, sharing ---------------------------------------------------------------

def test_the_achievement_id_resolves_to_its_criteria_and_domains(certificate, client):  # noqa: F811
    achievement = credential_of(client, certificate).get_json()["credentialSubject"]["achievement"]
    page = fetch(client, achievement["id"])
    assert page.mimetype == "text/html"
    for text in ("Peer Recovery Specialist", "Criteria", "Advocacy", "Ethical Responsibility",
                 "of supervised peer support work"):
        assert text in page.text
    alignment = {a["targetName"]: a["targetUrl"] for a in achievement["alignment"]}
    assert set(alignment) == {"Advocacy", "Mentoring/Education", "Recovery/Wellness Support", "Ethical Responsibility"}
    for url in alignment.values():
        assert f'id="{url.split("#")[1]}"' in page.text
    as_json = client.get(achievement["id"][len(BASE):], headers={"Accept": "application/ld+json"}).get_json()
    assert as_json["id"] == achievement["id"] and len(as_json["alignment"]) == 4
    assert client.get("/credentials/no-such-credential").status_code == 404


def test_the_holder_id_resolves_to_their_current_certificates(certificate, client, people):  # noqa: F811
    subject = credential_of(client, certificate).get_json()["credentialSubject"]["id"]
    page = fetch(client, subject)
    assert "Tina Trainee" in page.text and certificate.number in page.text
    assert client.get(subject[len(BASE):], headers={"Accept": "application/json"}).get_json()["certificates"] == [
        certificate.verify_url]
    revoke(people["admin"], certificate, "Issued in error")
    assert certificate.number not in fetch(client, subject).text
    assert client.get("/holders/not-a-holder").status_code == 404


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_profile_and_wallet_links_are_hidden_for_revoked_and_expired(certificate, ready, login_as, people,  # noqa: F811
                                                                     state):
    client = login_as(ready)
    page = client.get("/certificates").text
    assert "linkedin.com/profile/add?" in page and "Save to a digital wallet" in page
    wallet = client.get(f"/certificates/{certificate.id}/credential.json")
    assert wallet.status_code == 200 and wallet.data == credential_of(client, certificate).data
    if state == "revoked":
        revoke(people["admin"], certificate, "Issued in error")
    else:
        certificate.issued_on, certificate.expires_on = date.today() - timedelta(days=800), date.today() - timedelta(1)
        db.session.commit()
    page = client.get("/certificates").text
    assert "linkedin.com/profile/add?" not in page and "Save to a digital wallet" not in page
    assert client.get(f"/certificates/{certificate.id}/credential.json").status_code == 404
