"""Certificate designs (seal, signature, paper size, a design per credential, preview watermark)
and the public credential page (image, PDF when allowed, sharing)."""
import io
import re

import pikepdf
import pytest
from pypdf import PdfReader

from training import create_app
from training.certificates.models import Certificate
from training.certificates.render import design_images
from training.certificates.services import issue, reinstate, revoke
from training.credentials.models import Credential
from training.extensions import db

from .conftest import ROOT
from .test_certificates import certificate, credential, ready  # noqa: F401  (fixtures)

POINTS = {"letter": (792, 612), "a4": (842, 595)}


def page_points(pdf):
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return tuple(round(float(v)) for v in list(document.pages[0].mediabox)[2:])


def text_of(pdf):
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_designs_take_their_seal_and_signature_from_their_folder(app):
    for name in ("classic", "modern"):
        images = design_images(name)
        assert images["logo_src"].startswith("data:image/svg+xml;base64,")
        assert images["signature_src"].startswith("data:image/svg+xml;base64,")


def test_the_seal_is_printed(certificate):  # noqa: F811
    """The seal's gold shows in the top band of the printed page."""
    import pypdfium2

    image = pypdfium2.PdfDocument(certificate.pdf)[0].render(scale=0.5).to_pil().convert("RGB")
    width, height = image.size
    top = image.crop((width // 3, 0, 2 * width // 3, height // 5))
    gold = [p for p in top.get_flattened_data() if p[0] > 170 and 120 < p[1] < 190 and p[2] < 90]
    assert len(gold) > 50


def test_a_design_image_must_be_an_image_in_its_folder(tmp_path):
    from training.certificates.render import _image_data_uri

    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError):
        _image_data_uri(tmp_path, "notes.txt")
    with pytest.raises(FileNotFoundError):
        _image_data_uri(tmp_path / "sub", "../notes.txt")


def test_certificates_print_on_letter_by_default(certificate):  # noqa: F811
    assert page_points(certificate.pdf) == POINTS["letter"]


@pytest.mark.config(PAPER_SIZE="a4")
def test_paper_size_a4(certificate):  # noqa: F811
    assert page_points(certificate.pdf) == POINTS["a4"]
    with pikepdf.open(io.BytesIO(certificate.pdf)) as document:
        assert len(document.pages) == 1


def test_an_unknown_paper_size_is_refused_at_start():
    with pytest.raises(RuntimeError, match="PAPER_SIZE"):
        create_app({"PAPER_SIZE": "legal", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


# The longest words a certificate may carry: a name that wraps, six training domains, a title in
# two languages, a long organisation, signatory title and verification address.
LONGEST = {
    "lang": "en", "number": "PRS-2026-123456", "holder_name": "Maria Guadalupe Fernandez-Castellanos de la Cruz",
    "credential_title": "Certified Peer Recovery Specialist (State Board)", "lang_also": "es",
    "credential_title_also": "Especialista certificado en recuperación entre pares",
    "issuer_name": "Example State Certification Board for Peer Specialists",
    "training": [("Advocacy", "10"), ("Mentoring/Education", "10"), ("Recovery/Wellness Support", "10"),
                 ("Ethical Responsibility", "16"), ("Cultural Competence", "8"), ("Trauma-Informed Care", "12")],
    "service": "2,000", "supervision": "125", "issued_on": "30 November 2026", "expires_on": "30 November 2028",
    "signatory_name": "Dr. Morgan Avery", "signatory_title": "Director of Certification and Credentialing Services",
    "verify_url": "https://certification.examplestateboard.org/verify/ABCDEFGHJKMNPQRSTVWX",
    "verify_base": "certification.examplestateboard.org/verify", "grouped_code": "ABCDE-FGHJK-MNPQR-STVWX",
    "preview": False,
}
# The usual: a short name, four domains, one language.
USUAL = dict(LONGEST, holder_name="Alex Rivera", credential_title="Peer Recovery Specialist", lang_also="",
             credential_title_also="", issuer_name="Example Board", training=LONGEST["training"][:4],
             signatory_title="Programme Director", verify_base="example.org/verify")


def text_runs(pdf):
    """The page's size and each run of text on it with its box (left, bottom, right, top) in points."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        text = page.get_textpage()
        runs = [text.get_rect(i) for i in range(text.count_rects())]
        return page.get_size(), [(text.get_text_bounded(*box).strip(), box) for box in runs]
    finally:
        document.close()


@pytest.mark.parametrize("paper", ["letter", "a4"])
@pytest.mark.parametrize("design", ["classic", "modern"])
@pytest.mark.parametrize("content, expected", [
    (USUAL, ("Alex Rivera", "Ethical", "ABCDE-FGHJK-MNPQR-STVWX", "example.org/verify")),
    (LONGEST, ("Maria Guadalupe", "de la Cruz", "Trauma", "2,000", "Especialista certificado",
               "ABCDE-FGHJK-MNPQR-STVWX", "Dr. Morgan Avery")),
], ids=["usual", "longest"])
def test_every_word_fits_on_one_page_without_touching_another(content, expected, design, paper):
    """Designs place their blocks rather than flow them: the usual content and the longest must
    both keep every run of text on the page and clear of every other."""
    from training.certificates.render import qr_png, render_pdf

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        pdf = render_pdf(design, dict(content, qr_png=qr_png(content["verify_url"])), paper=paper)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
    (width, height), runs = text_runs(pdf)
    printed = " ".join(words for words, _ in runs).lower()  # a design may print words in capitals
    for words in expected:
        assert words.lower() in printed, words
    for words, (left, bottom, right, top) in runs:
        assert 0 <= left and right <= width and 0 <= bottom and top <= height, words
    for i, (words, (left, bottom, right, top)) in enumerate(runs):
        for other, (left2, bottom2, right2, top2) in runs[i + 1:]:
            across = min(right, right2) - max(left, left2)
            down = min(top, top2) - max(bottom, bottom2)
            assert across <= 0.5 or down <= 0.5, f"{words!r} runs into {other!r}"


def test_a_credential_chooses_its_design(ready, people, credentials):  # noqa: F811
    state = db.session.scalar(db.select(Credential).where(Credential.slug == "state-peer-support-specialist"))
    default = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    assert state.design == "modern" and default.design is None  # the classic design
    cert, _ = issue(ready, state, check=False)
    assert cert.design == "modern" and issue(ready, default)[0].design == "classic"
    text = text_of(cert.pdf)
    assert "Final examination" in text and cert.number in text and "Tina Trainee" in text
    assert page_points(cert.pdf) == POINTS["letter"]


def test_a_credential_file_naming_an_unknown_design_is_refused(app, tmp_path):
    from training.courses.loader import ContentErrors
    from training.credentials.loader import load_credentials

    source = (ROOT / "certificates" / "credentials" / "peer-recovery-specialist.yaml").read_text()
    (tmp_path / "peer-recovery-specialist.yaml").write_text(source + "design: baroque\n")
    with pytest.raises(ContentErrors, match="design must name a certificate design"):
        load_credentials(tmp_path)


def test_the_preview_is_watermarked_and_the_certificate_is_not(ready, credential, people, login_as):  # noqa: F811
    preview = login_as(people["admin"]).get(
        f"/admin/certificates/preview.pdf?credential={credential.slug}&user={ready.id}").data
    assert "PREVIEW - NOT VALID" in text_of(preview)
    cert, _ = issue(ready, credential)
    assert "PREVIEW" not in text_of(cert.pdf)


# --- The public credential page --------------------------------------------------------------------

def test_the_page_shows_an_image_of_the_certificate_made_once(certificate, client):  # noqa: F811
    from PIL import Image

    page = client.get(f"/verify/{certificate.grouped_code}").text
    image_path = f"/verify/{certificate.grouped_code}/certificate.png"
    assert f'src="{image_path}"' in page
    assert f'<meta property="og:image" content="{certificate.verify_url}/certificate.png">' in page
    first = client.get(image_path)
    assert first.mimetype == "image/png" and Image.open(io.BytesIO(first.data)).size[0] == 1400
    assert db.session.get(Certificate, certificate.id).image_png == first.data
    again = client.get(image_path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_revoked_certificates_image_and_preview_say_it_was_revoked(certificate, client, people):  # noqa: F811
    """A link preview shows the image and the page's description alone: neither may pass for valid."""
    from PIL import Image

    image_path = f"/verify/{certificate.grouped_code}/certificate.png"
    issued = client.get(image_path)
    revoke(people["admin"], certificate, "Issued in error")
    page = client.get(f"/verify/{certificate.grouped_code}").text
    assert f'<meta property="og:description" content="Certificate {certificate.number}, issued by' in page
    assert "was revoked." in page and "holds the" not in page
    revoked = client.get(image_path)
    assert revoked.status_code == 200 and revoked.headers["Cache-Control"] == "no-cache"
    assert revoked.headers["ETag"] != issued.headers["ETag"]
    before, after = (Image.open(io.BytesIO(r.data)).convert("RGB") for r in (issued, revoked))
    assert before.size == after.size
    middle = after.crop((0, after.height // 2 - 40, after.width, after.height // 2 + 40))
    reds = sum(1 for r, g, b in middle.get_flattened_data() if r > 150 and g < 60 and b < 60)
    assert reds > 1000  # the stamp's red letters across the middle
    assert db.session.get(Certificate, certificate.id).image_png == issued.data  # the stored image stays as issued
    reinstate(people["admin"], certificate, "Checked again")
    assert client.get(image_path).data == issued.data


def test_the_pdf_is_offered_only_when_the_holder_allows(certificate, client, login_as, ready):  # noqa: F811
    pdf_link = f"/verify/{certificate.grouped_code}/certificate.pdf"
    assert pdf_link not in client.get(f"/verify/{certificate.grouped_code}").text
    login_as(ready).post(f"/certificates/{certificate.id}/sharing", data={"pdf_public": "y"})
    assert pdf_link in client.get(f"/verify/{certificate.grouped_code}").text


def test_sharing_links_for_a_valid_certificate_only(certificate, client, people):  # noqa: F811
    page = client.get(f"/verify/{certificate.grouped_code}").text
    encoded = re.escape("http%3A%2F%2Flocalhost%2Fverify%2F")
    for site in ("linkedin.com/sharing/share-offsite/", "twitter.com/intent/tweet", "facebook.com/sharer/sharer.php"):
        assert re.search(re.escape(site) + r"\?[^\"]*" + encoded, page), site
    assert "mailto:?" in page and 'value="' + certificate.verify_url + '"' in page
    revoke(people["admin"], certificate, "Issued in error")
    page = client.get(f"/verify/{certificate.grouped_code}").text
    assert "share-offsite" not in page and "mailto:?" not in page and "Revoked certificate" in page


def test_the_holder_sees_add_to_profile_on_their_page(certificate, client, login_as, ready):  # noqa: F811
    assert "linkedin.com/profile/add?" not in client.get(f"/verify/{certificate.grouped_code}").text
    assert "linkedin.com/profile/add?" in login_as(ready).get(f"/verify/{certificate.grouped_code}").text
