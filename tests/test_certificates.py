"""Certificates: eligibility, frozen PDF/A issue, verification, signed badges, lifecycle."""
import hashlib
import io
import re
import threading
from datetime import date, timedelta

import pikepdf
import pytest
from pypdf import PdfReader

from training.audit import AuditEvent
from training.certificates.models import Certificate
from training.certificates.services import CertificateError, issue, normalise_code, reinstate, renew, revoke
from training.courses.services import final_exam, record_module_completion
from training.credentials.eligibility import checklist, eligible_trainees
from training.credentials.models import Credential
from training.extensions import db
from training.quizzes.services import start_attempt, submit_attempt
from training.quizzes.types import model_answer
from training.supervision.models import HourEntry

from .conftest import count_statements

TODAY = date.today()


def approved(trainee, kind, minutes, days_ago, domain="Advocacy", **extra):
    db.session.add(HourEntry(trainee_id=trainee.id, kind=kind, minutes=minutes, domain=domain, status="approved",
                             occurred_on=TODAY - timedelta(days=days_ago), signed_name="Sue Supervisor", **extra))


def make_eligible(trainee, course):
    for module in course.active_modules:
        record_module_completion(trainee, module)
    exam = final_exam(course)
    attempt = start_attempt(trainee, exam)
    submit_attempt(attempt, {s.id: model_answer(s.qtype, s.data) for s in attempt.slots})
    for domain, hours in (("Advocacy", 8), ("Mentoring/Education", 7), ("Recovery/Wellness Support", 7),
                          ("Ethical Responsibility", 14)):
        approved(trainee, "training", hours * 60, 300, domain=domain, provider="Academy")
    for day in range(50):
        approved(trainee, "service", 600, 10 + day * 5)
    for day in range(25):
        approved(trainee, "supervision", 60, 12 + day * 7, supervision_format="individual")
    db.session.commit()


@pytest.fixture
def credential(app, credentials):
    return db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))


@pytest.fixture
def ready(people, course, credential):
    trainee = people["trainee"]
    make_eligible(trainee, course)
    return trainee


@pytest.fixture
def certificate(ready, credential, people):
    cert, created = issue(ready, credential, actor=people["admin"])
    assert created
    return cert


def test_the_checklist_says_what_is_done_and_what_remains(people, course, credential):
    checks = {c.label: c for c in checklist(people["other_trainee"], credential)}
    assert not checks["Supervised peer support work"].met
    assert checks["Supervised peer support work"].next_step == "Log 500 more hours of supervised peer support work."
    assert checks["Final exam: Foundations of Peer Recovery Support"].done == "Not taken yet"
    assert checks["Course: Foundations of Peer Recovery Support"].next_step.startswith("Complete the course")


def test_an_eligible_trainee_is_listed_until_certified(ready, credential, people, login_as):
    assert all(c.met for c in checklist(ready, credential))
    assert [u.id for u in eligible_trainees(credential)] == [ready.id]
    page = login_as(people["admin"]).get("/admin/certificates/eligible").text
    assert ready.full_name in page and "Issue certificates to the selected trainees" in page
    issue(ready, credential)
    assert eligible_trainees(credential) == []


def test_a_certified_trainee_is_listed_as_certified_not_as_eligible(certificate, ready, people, login_as):
    admin = login_as(people["admin"])
    for status in ("certified", "all"):
        page = admin.get(f"/admin/certificates/eligible?credential=peer-recovery-specialist&status={status}").text
        row = re.search(rf"<tr>(?:(?!</tr>).)*{ready.full_name}.*?</tr>", page, re.S).group(0)
        assert "Certified" in row and f"Certificate {certificate.number}" in row, status
        assert ">Eligible<" not in row and 'type="checkbox"' not in row and "Preview the certificate" not in row
        assert "Issue certificates to the selected trainees" not in page
    revoke(people["admin"], certificate, "Issued in error")
    page = admin.get("/admin/certificates/eligible?credential=peer-recovery-specialist&status=certified").text
    assert "Certificate issued" in page  # the filter: whatever became of the certificate since
    row = re.search(rf"<tr>(?:(?!</tr>).)*{ready.full_name}.*?</tr>", page, re.S).group(0)
    assert "Certificate revoked" in row and f"Certificate {certificate.number}</a>" in row
    assert ">Certified<" not in row
    checklist_page = admin.get(f"/admin/people/{ready.id}/eligibility").text
    assert f"Certificate {certificate.number} was revoked." in checklist_page
    assert "Holds certificate" not in checklist_page
    enrolments = admin.get(f"/admin/people/{ready.id}/credentials").text
    assert f"Certificate {certificate.number}</a> (Revoked)" in enrolments and ">Eligible<" not in enrolments


def test_issuing_to_someone_not_eligible_is_refused(people, credential):
    with pytest.raises(CertificateError, match="does not yet meet"):
        issue(people["other_trainee"], credential)
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 0


def test_a_trainee_certified_is_told_so_on_the_dashboard_not_that_the_certificate_is_to_come(ready, credential,
                                                                                             people, login_as):
    """Eligible, the trainee is told the administrator will issue the certificate; once it is issued,
    the dashboard says they hold the credential, until when, and leads to the certificate. Revoked,
    it is no longer held, and the dashboard says so rather than promise a certificate."""
    from training.templating import format_date

    client = login_as(ready)
    waiting = "You meet every requirement. Your programme administrator will issue your certificate."
    assert waiting in client.get("/dashboard").text
    certificate, _created = issue(ready, credential, actor=people["admin"])
    page = client.get("/dashboard").text
    assert waiting not in page and "Toward Peer Recovery Specialist" not in page
    assert (f"You hold this credential: your certificate was issued on {format_date(certificate.issued_on)} and is "
            f"valid until {format_date(certificate.expires_on)}.") in page
    assert 'href="/certificates">Your certificates</a>' in page
    revoke(people["admin"], certificate, "Issued in error.")
    db.session.commit()
    page = client.get("/dashboard").text
    assert "You hold this credential" not in page and waiting not in page
    assert "Your certificate of this credential was revoked." in page


def test_a_trainee_whose_certificate_expired_is_told_so_on_the_dashboard(ready, credential, people, login_as):
    from training.templating import format_date

    certificate, _created = issue(ready, credential, actor=people["admin"], today=date.today() - timedelta(days=800))
    assert certificate.expires_on < date.today()
    page = login_as(ready).get("/dashboard").text
    assert f"Your certificate of this credential expired on {format_date(certificate.expires_on)}." in page
    assert "You hold this credential" not in page and "will issue your certificate" not in page


def test_issue_freezes_a_snapshot_with_number_code_and_pdf_hash(certificate, ready):
    assert certificate.number == f"PRS-{TODAY.year}-{certificate.id:06d}"
    assert len(certificate.code) == 20 and set(certificate.code) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert certificate.grouped_code.count("-") == 4
    assert certificate.pdf_sha256 == hashlib.sha256(certificate.pdf).hexdigest()
    assert certificate.hours["service"] == 500 * 60 and certificate.hours["training"]["Ethical Responsibility"] == 16 * 60
    assert certificate.expires_on.year == TODAY.year + 2
    ready.full_name, ready.legal_name = "Someone Else", "Another Name"
    db.session.commit()
    again = db.session.get(Certificate, certificate.id)
    assert again.holder_name == "Tina Trainee" and hashlib.sha256(again.pdf).hexdigest() == certificate.pdf_sha256
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "certificate.issued"))
    assert event.details["number"] == certificate.number


def test_the_legal_name_is_printed(ready, credential, login_as):
    login_as(ready).post("/certificates", data={"legal_name": "Tina M. Trainee"})
    cert, _ = issue(ready, credential)
    assert cert.holder_name == "Tina M. Trainee"


def test_issuing_stores_the_holders_status_as_a_fresh_evaluation_would_reading_their_facts_once(
        ready, credential):
    """The eligibility check's facts, with the new certificate, give the stored status: the hours
    are summed once per issue, and the result is what evaluating everything again gives."""
    from sqlalchemy import event

    from training.credentials.evaluation import refresh
    from training.credentials.models import Enrolment

    def stored():
        db.session.expire_all()
        return [(e.credential_id, e.eligible, e.items_met, e.items_total, e.next_steps)
                for e in db.session.scalars(db.select(Enrolment).where(Enrolment.user_id == ready.id)
                                            .order_by(Enrolment.id))]

    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        issue(ready, credential)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert sum("sum(hour_entry.minutes)" in s for s in statements) == 1
    after_issue = stored()
    assert after_issue
    refresh([ready.id])
    db.session.commit()
    assert stored() == after_issue


def test_issuing_reads_the_signing_keys_the_holders_identifier_and_its_audit_event_once(ready, credential):
    """The keys and the holder's URL made sure of before the certificate are the ones it is signed with."""
    import json

    from training.badges.services import current_keys, holder_url

    keys, subject = current_keys(), holder_url(ready.id)
    db.session.commit()
    with count_statements() as statements:
        certificate, _ = issue(ready, credential)
    assert sum(bool(re.search(r"\bFROM issuer_key\b", s)) for s in statements) == 1  # the newest generation
    assert sum(bool(re.search(r"\bFROM badge_holder\b", s)) for s in statements) == 1
    # Only the notification job reads the audit event: announcing it after the commit does not reload it.
    assert sum(bool(re.search(r"\bFROM audit_event\b", s)) for s in statements) == 1
    signed = json.loads(certificate.signed_json)
    assert signed["credentialSubject"]["id"] == subject
    assert signed["proof"][0]["verificationMethod"].endswith(keys[1].name)


def test_issuing_twice_returns_the_same_certificate(ready, credential, people, login_as):
    first, created = issue(ready, credential)
    second, created_again = issue(ready, credential)
    assert created and not created_again and first.id == second.id
    client = login_as(people["admin"])
    for _ in range(2):  # a double click
        client.post("/admin/certificates/issue", data={"credential": credential.slug, "user": ready.id})
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 1


def test_concurrent_issuing_makes_exactly_one(app, ready, credential):
    """Four app servers issue the same certificate at the same moment."""
    from training import create_app

    servers = [create_app({key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SIGNING_KEY_FILE",
                                                             "COURSES_DIR")}) for _ in range(4)]
    results, errors = [], []
    barrier = threading.Barrier(4)
    user_id, credential_id = ready.id, credential.id  # read here: the test's own session is not shared

    def attempt(server):
        try:
            with server.app_context():
                from training.auth.models import User

                user, cred = db.session.get(User, user_id), db.session.get(Credential, credential_id)
                barrier.wait(timeout=10)
                cert, _ = issue(user, cred)
                results.append(cert.number)
                db.session.remove()
                db.engine.dispose()
        except Exception as error:  # reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=attempt, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if db.engine.dialect.name == "sqlite" and errors:
        # SQLite serialises writers; a writer that times out waiting is not a duplicate.
        assert all("locked" in e for e in errors), errors
    else:
        assert errors == []
    assert len(set(results)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 1


# --- The PDF -------------------------------------------------------------------------------------

def test_the_pdf_is_pdfa3_with_embedded_fonts_and_the_facts_as_text(certificate):
    pdf = pikepdf.open(io.BytesIO(certificate.pdf))
    assert len(pdf.pages) == 1
    width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
    assert width > height  # landscape
    xmp = pdf.open_metadata()
    assert xmp.get("pdfaid:part") == "3" and xmp.get("pdfaid:conformance") == "U"
    assert "Peer Recovery Specialist" in str(pdf.docinfo.get("/Title"))
    assert pdf.docinfo.get("/Author") is not None
    assert "Tina Trainee" in str(pdf.docinfo.get("/Subject"))
    assert str(pdf.Root.get("/Lang")) == "en"
    fonts = [font for page in pdf.pages for font in page.Resources.Font.values()]
    assert fonts
    for font in fonts:
        descriptor = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font
    text = PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text()
    for expected in ("Tina Trainee", certificate.number, "Peer Recovery Specialist", certificate.grouped_code):
        assert expected in text, expected


@pytest.mark.parametrize("design", ["classic", "modern"])
def test_the_verification_code_prints_on_one_line_whatever_its_letters(certificate, design):
    """Codes are random: the widest letters (W and M) must still fit on the line beside the QR code,
    so the code is read aloud and typed whole, never split over two lines."""
    from training.certificates.render import render_pdf
    from training.certificates.services import pdf_context

    widest = "WMWM-WMWM-WMWM-WMWM-WMWM"
    pdf = render_pdf(design, {**pdf_context(certificate), "grouped_code": widest})
    assert widest in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_the_qr_code_opens_the_verification_page(certificate):
    import pypdfium2
    import zxingcpp

    page = pypdfium2.PdfDocument(certificate.pdf)[0].render(scale=3).to_pil()  # the printed page, as pixels
    decoded = [result.text for result in zxingcpp.read_barcodes(page)]
    assert decoded == [certificate.verify_url]
    assert certificate.verify_url.startswith("http://localhost/verify/")


def test_designs_cannot_load_files_or_remote_urls(app):
    from training.pdf import refuse_urls

    for url in ("file:///etc/passwd", "https://example.org/x.png", "http://127.0.0.1/"):
        with pytest.raises(ValueError):
            refuse_urls(url)
    assert refuse_urls("data:text/plain;base64,aGk=").read() == b"hi"


# --- Verification ------------------------------------------------------------------------------------

def test_the_verify_page_shows_a_valid_certificate(certificate, client):
    page = client.get(f"/verify/{certificate.grouped_code}")
    assert page.status_code == 200
    for expected in ("Valid certificate", "Tina Trainee", certificate.number, "Peer Recovery Specialist", "500 h"):
        assert expected in page.text


@pytest.mark.parametrize("variant", ["lower", "bare", "spaces"])
def test_codes_are_read_case_insensitively_without_separators(certificate, client, variant):
    code = {"lower": certificate.grouped_code.lower(), "bare": certificate.code,
            "spaces": certificate.grouped_code.replace("-", " ")}[variant]
    response = client.get("/verify", query_string={"code": code})
    assert response.status_code == 302 and response.location == f"/verify/{certificate.grouped_code}"
    assert client.get(f"/verify/{certificate.code.lower()}").status_code == 301


def test_an_altered_or_unknown_code_gets_a_helpful_404(certificate, client):
    altered = certificate.code[:-1] + ("A" if certificate.code[-1] != "A" else "B")
    for code in (altered, "NOT-A-CODE", "x" * 300):
        page = client.get(f"/verify/{code}")
        assert page.status_code == 404 and "Certificate not found" in page.text
    form = client.get("/verify", query_string={"code": altered})
    assert form.status_code == 404 and "No certificate has this code" in form.text
    assert client.get("/verify/" + altered + ".json").status_code == 404


def test_a_machine_asking_for_an_unknown_code_gets_a_json_404(certificate, client):
    """A program reading the signed credential is answered in JSON, not with the HTML form."""
    altered = certificate.code[:-1] + ("A" if certificate.code[-1] != "A" else "B")
    for response in (client.get(f"/verify/{altered}.json"), client.get(f"/verify/{altered}.jwt"),
                     client.get(f"/verify/{altered}", headers={"Accept": "application/vc"})):
        assert response.status_code == 404 and response.mimetype == "application/json"
        assert response.json == {"error": "not_found", "message": "No certificate has this code."}
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Certificate not found" in client.get(f"/verify/{altered}").text  # people still get the page


def test_normalising_codes():
    assert normalise_code(" abcd-efgh o1l ") == "ABCDEFGH011"


def test_a_revoked_certificate_says_so_everywhere(certificate, client, people):
    revoke(people["admin"], certificate, "Issued in error", private_note="Duplicate account")
    page = client.get(f"/verify/{certificate.grouped_code}").text
    assert "Revoked certificate" in page and "Issued in error" in page and "Duplicate account" not in page
    assert "<dt>Valid until</dt>" not in page and "<dt>Would have been valid until</dt>" in page
    reinstate(people["admin"], certificate, "Checked again")
    valid = client.get(f"/verify/{certificate.grouped_code}").text
    assert "Valid certificate" in valid and "<dt>Valid until</dt>" in valid
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"certificate.revoked", "certificate.reinstated"} <= actions


def test_the_verification_page_shows_every_change_at_once_in_every_language(certificate, client, people):
    """The page's body is kept rendered between visits: each change made after issue must show at once."""
    def page(language="en"):
        return client.get(f"/verify/{certificate.grouped_code}", headers={"Accept-Language": language}).text

    assert "Valid certificate" in page() and "Certificado válido" in page("es")
    revoke(people["admin"], certificate, "Issued in error")
    assert "Revoked certificate" in page() and "Issued in error" in page()
    assert "Certificado revocado" in page("es")
    reinstate(people["admin"], certificate, "Checked again")
    assert "Valid certificate" in page() and "Certificado válido" in page("es")
    revoke(people["admin"], certificate, "Wrong holder")
    assert "Wrong holder" in page() and "Issued in error" not in page()


def test_revoking_needs_a_public_reason(certificate, people, login_as):
    page = login_as(people["admin"]).post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": ""})
    assert page.status_code == 400 and "Give the reason the verification page will show." in page.text
    assert db.session.get(Certificate, certificate.id).status == "valid"


def test_an_expired_certificate_says_expired(certificate, client):
    certificate.issued_on, certificate.expires_on = TODAY - timedelta(days=800), TODAY - timedelta(days=70)
    db.session.commit()
    page = client.get(f"/verify/{certificate.grouped_code}").text
    assert "Expired certificate" in page


@pytest.mark.config(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
def test_verification_is_rate_limited(certificate, client):
    statuses = [client.get(f"/verify/{certificate.grouped_code}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_pdf_is_public_only_if_the_holder_allows(certificate, client, login_as, ready):
    assert client.get(f"/verify/{certificate.grouped_code}/certificate.pdf").status_code == 404
    login_as(ready).post(f"/certificates/{certificate.id}/sharing", data={"pdf_public": "y"})
    response = client.get(f"/verify/{certificate.grouped_code}/certificate.pdf")
    assert response.status_code == 200 and response.data == certificate.pdf


def test_a_revoked_certificates_pdf_is_no_longer_offered_to_the_public(certificate, client, login_as, ready, people):
    """The PDF still reads "valid until": once revoked, a link to it leads to the page that says so."""
    holder = login_as(ready)
    holder.post(f"/certificates/{certificate.id}/sharing", data={"pdf_public": "y"})
    assert "Download the certificate (PDF)" in client.get(f"/verify/{certificate.grouped_code}").text
    revoke(people["admin"], certificate, "Issued in error")
    page = client.get(f"/verify/{certificate.grouped_code}").text
    assert "Revoked certificate" in page and "Download the certificate (PDF)" not in page
    response = client.get(f"/verify/{certificate.grouped_code}/certificate.pdf")
    assert response.status_code == 302 and response.location.endswith(f"/verify/{certificate.grouped_code}")
    mine = holder.get("/certificates").text
    assert "Let anyone with the link download the PDF" not in mine and "Download PDF" in mine  # their own copy stays
    reinstate(people["admin"], certificate, "Checked again")
    assert client.get(f"/verify/{certificate.grouped_code}/certificate.pdf").data == certificate.pdf


# --- Renewal and reminders -------------------------------------------------------------------------------

def test_renewal_needs_continuing_education_and_links_to_the_previous(certificate, ready, people, client):
    with pytest.raises(CertificateError, match="renewal rules are not met"):
        renew(people["admin"], certificate)
    certificate.issued_on = TODAY - timedelta(days=400)
    db.session.commit()
    approved(ready, "training", 14 * 60, 30, domain="Advocacy", provider="Academy")
    approved(ready, "training", 6 * 60, 20, domain="Ethical Responsibility", provider="Academy")
    db.session.commit()
    with pytest.raises(CertificateError, match="Continuing education in Ethics"):  # the category chosen, never a name
        renew(people["admin"], certificate)
    approved(ready, "training", 6 * 60, 19, domain="Advocacy", provider="Academy", category="ethics")
    db.session.commit()
    newer, created = renew(people["admin"], certificate)
    again, created_again = renew(people["admin"], certificate)
    assert created and not created_again and again.id == newer.id
    assert newer.previous_id == certificate.id and newer.cycle == 2 and newer.number != certificate.number
    assert "certificate.renewed" in set(db.session.scalars(db.select(AuditEvent.action)))
    # Once the old one expires, its verification page sends visitors to the current one.
    certificate.expires_on = TODAY - timedelta(days=1)
    db.session.commit()
    old_page = client.get(f"/verify/{certificate.grouped_code}").text
    assert "Expired certificate" in old_page and "It was renewed" in old_page
    assert f'href="/verify/{newer.grouped_code}"' in old_page
    assert "It was renewed" not in client.get(f"/verify/{newer.grouped_code}").text


def test_expiry_reminders_go_out_60_30_and_7_days_before_each_once(certificate, caplog):
    from training.certificates.reminders import send_expiry_reminders

    caplog.set_level("INFO", logger="training.mail")
    expires = certificate.expires_on
    sent = [send_expiry_reminders(expires - timedelta(days=d)) for d in (61, 60, 59, 45, 30, 29, 7, 6, 1)]
    assert sent == [0, 1, 0, 0, 1, 0, 1, 0, 0]
    subjects = [r.getMessage().split("Subject: ")[1].split("\n")[0] for r in caplog.records if "Subject" in
                r.getMessage()]
    assert subjects == ["Your certificate expires in 60 days", "Your certificate expires in 30 days",
                        "Your certificate expires in 7 days"]


# --- Pages ---------------------------------------------------------------------------------------------

def test_the_trainees_certificates_page(certificate, ready, login_as, people):
    client = login_as(ready)
    page = client.get("/certificates").text
    assert certificate.number in page and certificate.verify_url in page
    assert "linkedin.com/profile/add?" in page and "certId=" in page and "<svg" in page
    download = client.get(f"/certificates/{certificate.id}.pdf")
    assert download.data == certificate.pdf
    assert 'filename="Tina-Trainee-Peer-Recovery-Specialist-' in download.headers["Content-Disposition"]
    assert login_as(people["other_trainee"]).get(f"/certificates/{certificate.id}.pdf").status_code == 404
    transcript = client.get("/certificates/transcript.pdf")
    text = PdfReader(io.BytesIO(transcript.data)).pages[0].extract_text()
    assert "Transcript" in text and "Foundations of Peer Recovery Support" in text and "Final exam" in text
    # The certificates held, with where each stands.
    assert "Certificates" in text and certificate.number in text and "Valid" in text
    revoke(people["admin"], certificate, "Issued in error")
    text = PdfReader(io.BytesIO(client.get("/certificates/transcript.pdf").data)).pages[0].extract_text()
    assert certificate.number in text and "Revoked" in text


def test_the_administrators_page_filters_and_zips(certificate, people, login_as):
    import zipfile

    client = login_as(people["admin"])
    valid = client.get("/admin/certificates?status=valid").text
    assert certificate.number in valid and "Download these as a zip" in valid
    assert certificate.number not in client.get("/admin/certificates?status=revoked").text
    assert certificate.number not in client.get(f"/admin/certificates?issued_to={TODAY - timedelta(days=1)}").text
    assert client.get("/admin/certificates?issued_from=nonsense").status_code == 200
    reversed_range = client.get(f"/admin/certificates?issued_from={TODAY}&issued_to={TODAY - timedelta(days=30)}")
    assert "This date is before the “Issued from” date: enter the earlier date first." in reversed_range.text
    assert "Some filters were not valid and were ignored" in reversed_range.text
    assert certificate.number in reversed_range.text  # the list is not emptied by a range that cannot match
    zipped = client.post(f"/admin/certificates/download.zip?issued_from={TODAY}&issued_to={TODAY - timedelta(days=30)}",
                         data={})
    assert zipped.status_code == 302 and "/jobs/" not in zipped.location
    job_page = client.post("/admin/certificates/download.zip?status=valid", follow_redirects=True)
    assert "1 of 1 processed" in job_page.text and "Download the zip file" in job_page.text
    with client.get(re.search(r'href="(/jobs/\d+/download)"', job_page.text).group(1)) as download:
        archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert [info.filename for info in archive.infolist()] == [f"Tina-Trainee-Peer-Recovery-Specialist-"
                                                              f"{certificate.number}.pdf"]
    assert archive.read(archive.infolist()[0]) == certificate.pdf


@pytest.mark.parametrize("query, message", [
    ("status=lost", "Choose one of the statuses listed."),
    ("credential=no-such-credential", "Choose one of the credentials listed."),
])
def test_a_filter_value_not_offered_is_refused_naming_its_filter(certificate, people, login_as, query, message):
    """A value typed into the address by hand: the message beside the filter says which filter it is."""
    page = login_as(people["admin"]).get(f"/admin/certificates?{query}").text
    field = query.partition("=")[0]
    assert re.search(rf'<p class="error" id="{field}-error">{re.escape(message)}</p>', page)
    assert "Not a valid choice" not in page and certificate.number in page


def test_certificates_of_a_retired_credential_can_still_be_filtered(certificate, credential, people, login_as):
    credential.active = False  # its file was removed: the certificates issued under it remain
    db.session.commit()
    page = login_as(people["admin"]).get("/admin/certificates?credential=peer-recovery-specialist").text
    assert "Some filters were not valid" not in page and certificate.number in page
    assert '<option selected value="peer-recovery-specialist">Peer Recovery Specialist</option>' in page


def test_the_administrators_page_offers_a_zip_only_of_certificates_and_says_why_it_is_empty(people, login_as):
    client = login_as(people["admin"])
    empty = client.get("/admin/certificates").text
    assert "Download these as a zip" not in empty
    assert "No certificate has been issued yet." in empty and 'href="/admin/certificates/eligible"' in empty
    filtered = client.get("/admin/certificates?status=revoked").text
    assert "No certificates match these filters." in filtered and "Download these as a zip" not in filtered


def test_bulk_issue_runs_as_a_job_with_progress(ready, people, credential, course, login_as):
    make_eligible(people["other_trainee"], course)
    client = login_as(people["admin"])
    response = client.post("/admin/certificates/issue", data={
        "credential": credential.slug, "user": [ready.id, people["other_trainee"].id, people["supervisor"].id]})
    assert response.location.startswith("/jobs/")
    page = client.get(response.location).text
    assert "3 of 3 processed · 2 done · 1 failed · Finished" in page and "supervisor@example.org" in page
    assert "Sue Supervisor is not a trainee" in page and "Retry the failed items" in page


# --- Command line -----------------------------------------------------------------------------------------

def test_cli_issue_and_pdf(ready, runner, tmp_path):
    result = runner.invoke(args=["certificates", "issue", "--credential", "peer-recovery-specialist",
                                 "--email", ready.email])
    assert result.exit_code == 0, result.output
    number, code = result.output.strip().split(": ")[1].split()
    output = tmp_path / "cert.pdf"
    result = runner.invoke(args=["certificates", "pdf", code.lower(), "--output", str(output)])
    assert result.exit_code == 0
    stored = db.session.scalar(db.select(Certificate).where(Certificate.number == number))
    assert output.read_bytes() == stored.pdf
    again = runner.invoke(args=["certificates", "issue", "--credential", "peer-recovery-specialist",
                                "--email", ready.email])
    assert "Already issued" in again.output


def test_cli_all_eligible(ready, runner):
    result = runner.invoke(args=["certificates", "issue", "--credential", "peer-recovery-specialist",
                                 "--all-eligible"])
    assert result.exit_code == 0 and "1 certificate issued." in result.output


def test_a_preview_shows_the_certificate_without_issuing(ready, credential, people, login_as):
    response = login_as(people["admin"]).get(
        f"/admin/certificates/preview.pdf?credential={credential.slug}&user={ready.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Tina Trainee" in text and "PREVIEW" in text
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 0
    assert login_as(people["admin"]).get("/admin/certificates/preview.pdf?credential=nope&user=1").status_code == 404


def test_a_trainees_revoked_certificate_says_it_cannot_be_renewed_until_reinstated(certificate, ready, login_as,
                                                                                   people):
    """Plainly, in the trainee's language: not as a renewal checklist with its standing still "to do"."""
    client = login_as(ready)
    assert "Toward renewal" in client.get("/certificates").text
    revoke(people["admin"], certificate, "Issued in error")
    page = client.get("/certificates").text
    assert "Revoked: Issued in error" in page
    assert "A revoked certificate cannot be renewed unless your programme reinstates it." in page
    assert "Toward renewal" not in page and "good standing" not in page
    ready.locale = "es"
    db.session.commit()
    page = client.get("/certificates").text
    assert "Un certificado revocado no se puede renovar a menos que su programa lo restablezca." in page
    reinstate(people["admin"], certificate, "Checked again")
    page = client.get("/certificates").text
    assert "no se puede renovar" not in page and "Para la renovación" in page


def test_the_sharing_switch_works_with_its_csrf_token(app, certificate, ready, login_as):
    """The real form, CSRF on: the token the page prints must be the one the POST expects."""
    import re

    client = login_as(ready)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/certificates").text
    form = page[page.index(f'action="/certificates/{certificate.id}/sharing"'):]
    name, token = re.search(r'name="([\w-]*csrf_token)" type="hidden" value="([^"]+)"', form).groups()
    response = client.post(f"/certificates/{certificate.id}/sharing", data={name: token, "pdf_public": "y"})
    assert response.status_code == 302
    assert db.session.get(Certificate, certificate.id).pdf_public


def test_the_transcript_gives_the_hours_toward_each_credential_the_trainee_works_toward(ready, people, credentials,
                                                                                          login_as):
    from training.credentials.models import Credential
    from training.credentials.services import enrol

    for slug in ("peer-recovery-specialist", "state-peer-support-specialist"):
        credential = db.session.scalar(db.select(Credential).where(Credential.slug == slug))
        enrol(people["admin"], ready, credential, TODAY - timedelta(days=30))
    transcript = login_as(ready).get("/certificates/transcript.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(transcript.data)).pages)
    text = " ".join(text.split())
    assert "Approved hours toward Peer Recovery Specialist" in text
    state = db.session.scalar(db.select(Credential).where(Credential.slug == "state-peer-support-specialist"))
    assert f"Approved hours toward {state.title}" in text


def test_no_certificate_is_issued_under_a_retired_credential_or_to_someone_not_a_trainee(ready, credential, people,
                                                                                         login_as):  # noqa: F811
    admin = login_as(people["admin"])
    credential.active = False
    db.session.commit()
    assert admin.get(f"/admin/certificates/eligible?credential={credential.slug}").status_code == 404
    response = admin.post("/admin/certificates/issue", data={"credential": credential.slug, "user": ready.id},
                          follow_redirects=True)
    assert "is retired: no new certificates are issued under it." in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 0
    credential.active = True
    db.session.commit()
    response = admin.post("/admin/certificates/issue", data={"credential": credential.slug, "user": people["admin"].id},
                          follow_redirects=True)
    assert "Ada Admin is not a trainee: certificates are issued to trainees." in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 0


def test_the_administrators_dashboard_lists_what_waits_for_them(ready, credential, people, login_as):
    from training.credentials.models import Evidence

    admin = login_as(people["admin"])
    page = admin.get("/dashboard").text
    assert ('<a href="/admin/certificates/eligible?credential=peer-recovery-specialist">1 trainee meets every '
            'requirement of Peer Recovery Specialist and has no certificate yet.</a>') in page
    assert "Nothing is waiting for you" not in page

    certificate, _created = issue(ready, credential, actor=people["admin"])
    page = admin.get("/dashboard").text
    assert "meets every requirement" not in page and "Nothing is waiting for you" in page

    certificate.expires_on = TODAY + timedelta(days=45)
    db.session.add(Evidence(user_id=people["other_trainee"].id, key="background_check", title="Background check",
                            status="submitted"))
    db.session.commit()
    page = admin.get("/dashboard").text
    assert ('<a href="/admin/certificates?status=expiring">1 certificate expires within 60 days and has not been '
            'renewed.</a>') in page
    assert '<a href="/admin/evidence">1 document sent by a trainee is waiting for review.</a>' in page
    listed = admin.get("/admin/certificates?status=expiring").text
    assert certificate.number in listed and "Some filters were not valid" not in listed
    assert '<option selected value="expiring">Expiring within 60 days</option>' in listed

    # Renewed: the newer certificate takes over, and the old one no longer waits.
    newer, _created = issue(ready, credential, check=False, previous=certificate, valid_from=certificate.expires_on,
                            issued_as="renewal")
    assert newer.previous_id == certificate.id
    assert "certificate expires within" not in admin.get("/dashboard").text
    assert certificate.number not in admin.get("/admin/certificates?status=expiring").text

    # Nothing waits for someone who is not an administrator.
    assert "Waiting for you" not in login_as(people["supervisor"]).get("/dashboard").text
