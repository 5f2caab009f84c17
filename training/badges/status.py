"""Revocation by W3C Bitstring Status List.

Every certificate owns one bit in a list of 131,072 (the specification's minimum, for herd
privacy): certificate n is bit (n - 1) mod 131,072 of list (n - 1) div 131,072 + 1. The
list credential is rebuilt from the certificates' status, signed, and stored whenever a
bit flips, so it is served byte for byte and carries bits only: no codes, names or reasons.
"""
import base64
import gzip
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training.badges.jsonld import VC_CONTEXT
from training.badges.keys import base_url, current_keys, issuer_id, now_iso
from training.badges.models import StatusList
from training.badges.signing import add_data_integrity_proof
from training.db_types import utcnow
from training.extensions import db

LIST_SIZE = 131_072
PURPOSE = "revocation"


def status_list_url(list_id):
    return f"{base_url()}/issuer/status/{list_id}"


def position(certificate_id):
    """(list number, index) of a certificate's bit."""
    return (certificate_id - 1) // LIST_SIZE + 1, (certificate_id - 1) % LIST_SIZE


def status_entry(certificate_id):
    """The ``credentialStatus`` of a certificate's credential."""
    list_id, index = position(certificate_id)
    url = status_list_url(list_id)
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": PURPOSE,
            "statusListIndex": str(index), "statusListCredential": url}


def encode(indexes):
    """GZIP-compressed bitstring, multibase base64url: index 0 is the first byte's highest bit."""
    bits = bytearray(LIST_SIZE // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def _revoked_indexes(list_id):
    from training.certificates.models import Certificate

    first = (list_id - 1) * LIST_SIZE + 1
    ids = db.session.scalars(select(Certificate.id).where(
        Certificate.status == "revoked", Certificate.id >= first, Certificate.id < first + LIST_SIZE))
    return [position(i)[1] for i in ids]


def _signed_list(list_id):
    url = status_list_url(list_id)
    document = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": now_iso(),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": PURPOSE,
                              "encodedList": encode(_revoked_indexes(list_id))},
    }
    _, ed_key = current_keys()
    return json.dumps(add_data_integrity_proof(document, ed_key, document["validFrom"]), ensure_ascii=False,
                      indent=2)


def publish(certificate_id):
    """Re-sign the list holding this certificate's bit, after its status changed (before commit).

    The list's row is locked first, so two administrators revoking at once each publish a
    list that includes the other's change.
    """
    list_id, _ = position(certificate_id)
    row = _locked_row(list_id)
    db.session.flush()
    row.credential, row.updated_at = _signed_list(list_id), utcnow()


def _locked_row(list_id):
    row = db.session.scalar(select(StatusList).where(StatusList.id == list_id).with_for_update())
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(StatusList(id=list_id, purpose=PURPOSE, credential=""))
        except IntegrityError:
            pass
        row = db.session.scalar(select(StatusList).where(StatusList.id == list_id).with_for_update())
    return row


def status_list_credential(list_id):
    """The stored, signed list; created on first request. None for a list no certificate uses yet."""
    from training.certificates.models import Certificate

    row = db.session.get(StatusList, list_id)
    if row is not None and row.credential:
        return row.credential
    first = (list_id - 1) * LIST_SIZE + 1
    if list_id < 1 or db.session.scalar(select(Certificate.id).where(Certificate.id >= first).limit(1)) is None:
        return None
    row = _locked_row(list_id)
    if not row.credential:
        row.credential, row.updated_at = _signed_list(list_id), utcnow()
    db.session.commit()
    return row.credential
