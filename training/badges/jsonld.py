"""JSON-LD with the context documents shipped in ``data/contexts/``, never fetched.

The document loader answers the few contexts a credential uses from files kept with the
app and refuses every other URL, so canonicalisation gives the same result offline, cannot
be steered by a changed remote context, and makes no request when signing.
"""
import json
from functools import cache
from pathlib import Path

from pyld import jsonld

CONTEXTS_DIR = Path(__file__).parent / "data" / "contexts"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_FILES = {
    VC_CONTEXT: "credentials-v2.jsonld",
    OB_CONTEXT: "ob-v3p0-context-3.0.3.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
}


class ContextNotShipped(jsonld.JsonLdError):
    pass


@cache
def _context_text(url):
    return (CONTEXTS_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8")


def load_document(url, options=None):
    """pyld document loader: shipped contexts only."""
    if url not in CONTEXT_FILES:
        raise ContextNotShipped(f"JSON-LD context {url!r} is not shipped with the app and is never fetched",
                                "jsonld.LoadDocumentError", code="loading document failed")
    # "static": the shipped contexts never change, so pyld keeps each one resolved and processed
    # across documents instead of parsing it again for every credential it canonicalises.
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(_context_text(url)), "tag": "static"}


# No code path may fall back to pyld's network loader.
jsonld.set_document_loader(load_document)


def canonicalize(document):
    """RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) as N-Quads."""
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "documentLoader": load_document})
