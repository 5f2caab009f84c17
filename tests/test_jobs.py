"""Background jobs: progress and failures for whoever started them, retries, files streamed from disk."""
import io
import re
import zipfile
from datetime import date

from pypdf import PdfReader

from training.auth.models import SupervisorAssignment
from training.certificates.models import Certificate
from training.extensions import db
from training.jobs.models import Job

from .conftest import count_statements
from .test_certificates import credential, make_eligible  # noqa: F401  (fixtures)


def _download(client, page):
    with client.get(re.search(r'href="(/jobs/\d+/download)"', page).group(1)) as response:
        assert response.status_code == 200 and response.mimetype == "application/zip"
        return zipfile.ZipFile(io.BytesIO(response.data))


def test_a_bulk_issue_stores_each_pdf_with_its_hash_at_issue(people, course, credential, login_as):  # noqa: F811
    """Issued in bulk, each certificate is frozen as one issued alone is: the PDF and its SHA-256
    are stored at issue, and later profile edits never change what is served."""
    import hashlib

    for who in ("trainee", "other_trainee"):
        make_eligible(people[who], course)
    admin = login_as(people["admin"])
    admin.post("/admin/certificates/issue", data={
        "credential": credential.slug, "user": [people["trainee"].id, people["other_trainee"].id]})
    certificate = db.session.scalar(db.select(Certificate).where(Certificate.user_id == people["trainee"].id))
    assert certificate.signed_json and certificate.pdf_sha256 == hashlib.sha256(certificate.pdf).hexdigest()
    assert "Tina Trainee" in PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text()
    assert admin.get(f"/verify/{certificate.grouped_code}.json").status_code == 200

    people["trainee"].full_name = "Renamed Later"  # never changes an issued certificate
    db.session.commit()
    assert login_as(people["trainee"]).get(f"/certificates/{certificate.id}.pdf").data == certificate.pdf


def test_a_job_is_shown_only_to_whoever_started_it(people, course, credential, login_as):  # noqa: F811
    from training.certificates.jobs import start_bulk_issue

    job = start_bulk_issue(people["admin"], credential, [people["trainee"]])
    admin = login_as(people["admin"])
    assert '<a class="button button-secondary" href="/jobs">Your background jobs</a>' in admin.get("/dashboard").text
    assert "Issuing Peer Recovery Specialist certificates" in admin.get("/jobs").text
    other_admin = people["supervisor"]
    other_admin.set_roles(["admin"])
    db.session.commit()
    assert login_as(other_admin).get(f"/jobs/{job.id}").status_code == 404
    assert "not started any" in login_as(other_admin).get("/jobs").text


def test_queueing_again_is_offered_only_when_an_unfinished_job_stopped_moving(people, login_as):
    from datetime import timedelta

    from training.db_types import utcnow

    job = Job(kind="reminders", started_by_id=people["admin"].id, status="running", total=3, done=1,
              created_at=utcnow() - timedelta(minutes=1), started_at=utcnow() - timedelta(minutes=1))
    db.session.add(job)
    db.session.commit()
    admin = login_as(people["admin"])
    page = admin.get(f"/jobs/{job.id}").text
    assert "Working…" in page and "Queue the remaining items again" not in page
    # Progress is read in the background, never by reloading the page under the reader.
    assert 'http-equiv="refresh"' not in page
    assert f'data-poll="/jobs/{job.id}"' in page and "job.js" in page
    job.started_at = job.created_at = utcnow() - timedelta(minutes=20)
    db.session.commit()
    page = admin.get(f"/jobs/{job.id}").text
    assert "the worker running this job may have stopped" in page and "Queue the remaining items again" in page
    job.status, job.done = "finished", 3
    db.session.commit()
    page = admin.get(f"/jobs/{job.id}").text
    assert "Finished" in page and "data-poll" not in page and "job.js" not in page


def _attested(trainee, supervisor, organisation, kind="service"):
    from training.supervision.models import HourEntry

    db.session.add(HourEntry(trainee_id=trainee.id, supervisor_id=supervisor.id, kind=kind, minutes=120,
                             occurred_on=date.today(), domain="Advocacy", status="approved",
                             organisation=organisation, supervision_format="individual" if kind == "supervision"
                             else None))
    db.session.commit()


def test_a_supervisor_gets_every_supervisees_report_in_one_zip(people, make_user, login_as):
    """One report per work setting of each supervisee; a supervisee with nothing attested gets no empty
    report, and a note in the zip names them."""
    supervisor, trainee, other = people["supervisor"], people["trainee"], people["other_trainee"]
    db.session.add_all([SupervisorAssignment(supervisor=supervisor, trainee=t, starts_on=date(2026, 1, 1))
                        for t in (trainee, other)])
    db.session.commit()
    _attested(trainee, supervisor, "Riverside Centre")
    _attested(trainee, supervisor, "Harbour Drop-in", kind="supervision")
    client = login_as(supervisor)
    page = client.post("/supervision/reports", follow_redirects=True).text
    assert "Supervision reports for 2 supervisees" in page and "2 of 2 processed · 2 done · 0 failed" in page
    assert f"so this file holds no report for them: {other.full_name}." in page
    archive = _download(client, page)
    stem = f"supervision-report-{'-'.join(trainee.full_name.lower().split())}-{trainee.id}"
    note_name = f"supervision-report-{'-'.join(other.full_name.lower().split())}-{other.id}-no-report.txt"
    assert sorted(archive.namelist()) == sorted([f"{stem}-harbour-drop-in.pdf", f"{stem}-riverside-centre.pdf",
                                                 note_name])
    text = PdfReader(io.BytesIO(archive.read(f"{stem}-riverside-centre.pdf"))).pages[0].extract_text()
    assert "Supervision" in text and "Riverside Centre" in text
    note = archive.read(note_name).decode()
    assert other.full_name in note and trainee.full_name not in note


def test_no_two_reports_of_one_supervisee_share_a_name_in_the_zip():
    """Two supervisors at one setting, or one setting typed two ways, must not leave one report out."""
    from types import SimpleNamespace

    from training.supervision.jobs import report_names

    def scope(organisation, supervisor):
        return SimpleNamespace(organisation=organisation, supervisor=SimpleNamespace(full_name=supervisor))

    scopes = [scope("Riverside Centre", "Sue Supervisor"), scope("Riverside Centre", "Sam Rivera"),
              scope("riverside centre", "Sam Rivera"), scope("Harbour Drop-in", "Sue Supervisor")]
    names = report_names("report-ana-7.pdf", scopes)
    assert len(set(names)) == 4 and all(n.startswith("report-ana-7-") and n.endswith(".pdf") for n in names)
    assert names[0] == "report-ana-7-riverside-centre-sue-supervisor.pdf"
    assert names[3] == "report-ana-7-harbour-drop-in.pdf"
    assert report_names("report-ana-7.pdf", scopes[:1]) == ["report-ana-7.pdf"]


def test_reports_are_refused_for_someone_no_longer_supervised_and_a_retry_adds_them(people, login_as, monkeypatch):
    """An item about someone the supervisor does not supervise is counted, never named, and cannot be
    retried; once they are supervised, it says why it failed, and a retry adds just that report to the
    same zip."""
    from training.supervision.jobs import VerificationReports, report_filename, start_reports

    supervisor, trainee = people["supervisor"], people["trainee"]
    assignment = SupervisorAssignment(supervisor=supervisor, trainee=trainee, starts_on=date(2026, 1, 1))
    db.session.add(assignment)
    db.session.commit()
    for someone in (trainee, people["other_trainee"]):
        _attested(someone, supervisor, "Riverside Centre")
    calls = []
    real_pdf = VerificationReports.run_chunk

    def counting(self, job, items, step):
        calls.append(len(items))
        return real_pdf(self, job, items, step)

    monkeypatch.setattr(VerificationReports, "run_chunk", counting)
    job = start_reports(supervisor, [trainee, people["other_trainee"]])
    client = login_as(supervisor)
    other_file = report_filename(people["other_trainee"])
    page = client.get(f"/jobs/{job.id}").text
    assert "1 failed" in page and "other@example.org" not in page and other_file not in page
    assert "1 item about someone you no longer supervise is hidden and is not retried." in page
    assert "You no longer supervise this person." not in page and "Retry" not in page
    spanish = client.get(f"/jobs/{job.id}", headers={"Accept-Language": "es"}).text
    assert "1 completado ·" in spanish and "1 completados" not in spanish
    assert "1 elemento sobre una persona a la que ya no supervisa está oculto y no se reintenta." in spanish
    refused = client.post(f"/jobs/{job.id}/retry", follow_redirects=True).text
    assert "Nothing to retry. 1 item about someone you no longer supervise is hidden" in refused
    assert calls == [2]

    db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=people["other_trainee"],
                                        starts_on=date(2026, 1, 1)))
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").text
    assert f"{other_file}: You no longer supervise this person." in page and "is hidden" not in page
    assert "Deal with the reasons listed first: an item that fails for the same reason fails again." in page
    page = client.post(f"/jobs/{job.id}/retry", follow_redirects=True).text
    assert "1 item queued again." in page and "2 of 2 processed · 2 done · 0 failed" in page
    assert calls == [2, 1]
    assert len(_download(client, page).namelist()) == 2
    again = client.post(f"/jobs/{job.id}/retry", follow_redirects=True).text
    assert "Nothing to retry" in again


def test_a_supervisors_zip_is_theirs_to_download_only_while_they_supervise_everyone_in_it(people, login_as):
    """The file holds supervisees' records: an assignment that ends, or the supervisor role taken away,
    ends the download too, with the reason on the job's page."""
    from datetime import timedelta

    supervisor, trainee, other = people["supervisor"], people["trainee"], people["other_trainee"]
    assignments = [SupervisorAssignment(supervisor=supervisor, trainee=t, starts_on=date.today() - timedelta(days=90))
                   for t in (trainee, other)]
    db.session.add_all(assignments)
    db.session.commit()
    client = login_as(supervisor)
    page = client.post("/supervision/reports", follow_redirects=True).text
    job = db.session.scalar(db.select(Job))
    assert len(_download(client, page).namelist()) == 2

    assignments[1].ends_on = date.today() - timedelta(days=1)
    db.session.commit()
    refused = client.get(f"/jobs/{job.id}/download")
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    reason = "You no longer supervise 1 of the people in this file, so it is no longer yours to download."
    assert reason in refused.text
    page = client.get(f"/jobs/{job.id}").text
    assert reason in page and f"/jobs/{job.id}/download" not in page
    spanish = client.get(f"/jobs/{job.id}", headers={"Accept-Language": "es"}).text
    assert "Ya no supervisa a 1 de las personas de este archivo" in spanish

    db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=other, starts_on=date.today()))
    db.session.commit()
    assert len(_download(client, client.get(f"/jobs/{job.id}").text).namelist()) == 2  # supervised again

    supervisor.set_roles(["trainer"])
    db.session.commit()
    refused = client.get(f"/jobs/{job.id}/download")
    assert refused.status_code == 403
    assert "You no longer have the role this file was made for (Supervisor)" in refused.text
    assert "You no longer have the role" in client.get(f"/jobs/{job.id}").text


def test_a_supervisors_job_page_names_only_the_people_they_still_supervise(people, make_user, login_as,
                                                                           monkeypatch):
    """Failures and the summary count, never name, the people the supervisor no longer supervises (the
    download's rule); a retry leaves their items alone and retries the others."""
    from datetime import timedelta

    from training.jobs.models import JobItem
    from training.supervision import exports
    from training.supervision.jobs import report_filename

    supervisor, trainee, other = people["supervisor"], people["trainee"], people["other_trainee"]
    fay, lou, nell = (make_user(f"{name.split()[0].lower()}@example.org", name=name)
                      for name in ("Fay Failing", "Lou Leaving", "Nell Nothing"))
    assignments = {t.id: SupervisorAssignment(supervisor=supervisor, trainee=t, starts_on=date.today() - timedelta(days=90))
                   for t in (trainee, other, fay, lou, nell)}
    db.session.add_all(assignments.values())
    db.session.commit()
    for someone in (trainee, fay, lou):  # Otto and Nell have nothing attested
        _attested(someone, supervisor, "Riverside Centre")
    real, broken = exports.verification_report_pdf, {fay.id, lou.id}

    def breaking(who, *args):
        if who.id in broken:
            raise RuntimeError("renderer stopped")
        return real(who, *args)

    monkeypatch.setattr(exports, "verification_report_pdf", breaking)
    client = login_as(supervisor)
    page = client.post("/supervision/reports", follow_redirects=True).text
    job = db.session.scalar(db.select(Job))
    assert "5 of 5 processed · 3 done · 2 failed" in page
    assert "so this file holds no report for them: Nell Nothing, Otto Other." in page
    assert report_filename(fay) in page and report_filename(lou) in page

    assignments[lou.id].ends_on = date.today() - timedelta(days=1)  # Lou's report failed: not in the file
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").text
    assert report_filename(fay) in page and "Lou Leaving" not in page and report_filename(lou) not in page
    assert "1 item about someone you no longer supervise is hidden and is not retried." in page
    assert "Retry the failed items" in page and "Download the zip file" in page
    broken.clear()
    page = client.post(f"/jobs/{job.id}/retry", follow_redirects=True).text
    assert "1 item queued again." in page and "5 of 5 processed · 4 done · 1 failed" in page
    assert db.session.scalar(db.select(JobItem.status).where(JobItem.key == str(lou.id))) == "failed"
    assert "Retry the failed items" not in page and "is hidden and is not retried" in page

    assignments[nell.id].ends_on = date.today() - timedelta(days=1)  # Nell is in the file: a note names her
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").text
    assert "so this file holds no report for them: Otto Other, 1 person you no longer supervise." in page
    assert "Nell Nothing" not in page and "You no longer supervise 1 of the people in this file" in page
    spanish = client.get(f"/jobs/{job.id}", headers={"Accept-Language": "es"}).text
    assert "Otto Other, 1 persona a la que ya no supervisa." in spanish

    supervisor.set_roles(["trainer"])  # no longer a supervisor: nobody in the job is named
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").text
    assert "Otto Other" not in page and "2 people you no longer supervise." in page
    assert "1 item is hidden and is not retried: you no longer have the role this job was started with (Supervisor)." \
        in page


def test_a_summary_written_before_people_were_kept_by_key_is_shown_only_while_it_names_nobody_hidden(
        people, login_as):
    """Jobs made before kept their summary as text with names in it: it is shown as written while the
    supervisor still supervises everyone in the file, and not at all after."""
    from datetime import timedelta

    from training.db_types import utcnow
    from training.jobs.models import JobItem

    supervisor, other = people["supervisor"], people["other_trainee"]
    assignment = SupervisorAssignment(supervisor=supervisor, trainee=other, starts_on=date.today() - timedelta(days=9))
    job = Job(kind="supervision_reports", started_by_id=supervisor.id, status="finished", total=1, done=1,
              params={"date_from": None, "date_to": None}, finished_at=utcnow(),
              summaries={"en": "These supervisees have no approved work or supervision to attest, so this file "
                               "holds no report for them: Otto Other."})
    db.session.add_all([assignment, job])
    db.session.flush()
    db.session.add(JobItem(job_id=job.id, key=str(other.id), label="otto.pdf", status="done"))
    db.session.commit()
    client = login_as(supervisor)
    assert "holds no report for them: Otto Other." in client.get(f"/jobs/{job.id}").text
    assignment.ends_on = date.today() - timedelta(days=1)
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").text
    assert "Otto Other" not in page and "holds no report" not in page


def test_a_supervisee_whose_reports_failed_is_not_in_the_file_and_does_not_hold_it_back(people, login_as,
                                                                                         monkeypatch):
    """Each supervisee's reports are all written or none: one that fails halfway leaves nothing of
    theirs in the zip, so no longer supervising them later does not stop the download."""
    from datetime import timedelta

    from training.supervision import exports

    supervisor, trainee, other = people["supervisor"], people["trainee"], people["other_trainee"]
    assignments = [SupervisorAssignment(supervisor=supervisor, trainee=t, starts_on=date.today() - timedelta(days=90))
                   for t in (trainee, other)]
    db.session.add_all(assignments)
    db.session.commit()
    _attested(trainee, supervisor, "Riverside Centre")
    _attested(trainee, supervisor, "Harbour Drop-in", kind="supervision")
    real, made = exports.verification_report_pdf, []

    def second_fails(who, *args):
        made.append(who.id)
        if made.count(trainee.id) == 2:
            raise RuntimeError("renderer stopped")
        return real(who, *args)

    monkeypatch.setattr(exports, "verification_report_pdf", second_fails)
    client = login_as(supervisor)
    page = client.post("/supervision/reports", follow_redirects=True).text
    assert "1 failed" in page
    names = _download(client, page).namelist()
    assert names == [f"supervision-report-{'-'.join(other.full_name.lower().split())}-{other.id}-no-report.txt"]
    assignments[0].ends_on = date.today() - timedelta(days=1)
    db.session.commit()
    assert _download(client, client.get(f"/jobs/{db.session.scalar(db.select(Job.id))}").text).namelist() == names


def test_a_certificates_zip_is_refused_to_someone_no_longer_an_administrator(people, login_as, course,
                                                                            credential):  # noqa: F811
    from training.certificates.jobs import start_zip
    from training.certificates.services import issue

    make_eligible(people["trainee"], course)
    admin = people["admin"]
    job = start_zip(admin, [issue(people["trainee"], credential, actor=admin)[0]])
    client = login_as(admin)
    assert len(_download(client, client.get(f"/jobs/{job.id}").text).namelist()) == 1
    admin.set_roles(["trainer"])
    db.session.commit()
    refused = client.get(f"/jobs/{job.id}/download")
    assert refused.status_code == 403 and "(Administrator)" in refused.text
    job.failed = 1  # a retry would add to a file that is no longer theirs
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").text
    assert "Retry" not in page and f"/jobs/{job.id}/download" not in page
    assert "no longer yours to download" in client.post(f"/jobs/{job.id}/retry", follow_redirects=True).text


def test_a_bulk_issue_names_nobody_to_someone_no_longer_an_administrator(people, login_as, credential):  # noqa: F811
    """Its failures name trainees (their e-mail addresses): once the starter is no longer an administrator
    they are counted, not named, and nothing is issued again in their name."""
    from datetime import timedelta

    from training.certificates.jobs import start_bulk_issue
    from training.db_types import utcnow
    from training.jobs.models import JobItem

    admin = people["admin"]
    job = start_bulk_issue(admin, credential, [people["trainee"]])  # not eligible: the item fails
    client = login_as(admin)
    page = client.get(f"/jobs/{job.id}").text
    assert "trainee@example.org: " in page and "Retry the failed items" in page
    admin.set_roles(["trainer"])
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").text
    assert "trainee@example.org" not in page and "Retry" not in page
    assert "1 item is hidden and is not retried: you no longer have the role this job was started with " \
        "(Administrator)." in page
    refused = client.post(f"/jobs/{job.id}/retry", follow_redirects=True).text
    assert "no longer yours to retry" in refused and "trainee@example.org" not in refused
    assert db.session.get(Job, job.id).failed == 1
    job = db.session.get(Job, job.id)  # a worker stopped with an item left: not theirs to queue again either
    job.status, job.failed = "running", 0
    job.created_at = job.started_at = utcnow() - timedelta(minutes=20)
    db.session.execute(db.update(JobItem).where(JobItem.job_id == job.id).values(
        status="pending", finished_at=None))
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").text
    assert "may have stopped" not in page and "Queue the remaining items again" not in page


def test_reminders_run_as_a_job_from_the_command_line(app, runner, people):
    result = runner.invoke(args=["reminders", "send", "--background"])
    assert result.exit_code == 0 and "Job #" in result.output
    job = db.session.scalar(db.select(Job).where(Job.kind == "reminders"))
    shown = runner.invoke(args=["jobs", "show", str(job.id)])
    assert f"#{job.id} Sending reminders: 3/3 processed, 0 failed, finished" in shown.output
    assert "Certificate expiry: 0." in shown.output
    assert f"#{job.id} Sending reminders" in runner.invoke(args=["jobs", "list"]).output
    assert "Nothing to retry" in runner.invoke(args=["jobs", "retry", str(job.id)]).output
    assert runner.invoke(args=["jobs", "show", "999"]).exit_code != 0


def test_a_retried_reminder_keeps_the_summary_of_those_sent_before(app, runner, people, monkeypatch):
    """Each kind of reminder is an item that adds its line to the job's summary: retrying the one that
    failed adds its line and keeps the lines of the others."""
    import training.cohorts.reminders

    def mail_server_down():
        raise OSError("connection refused")

    original = training.cohorts.reminders.send_session_reminders
    monkeypatch.setattr(training.cohorts.reminders, "send_session_reminders", mail_server_down)
    runner.invoke(args=["reminders", "send", "--background"])
    job = db.session.scalar(db.select(Job).where(Job.kind == "reminders"))
    shown = runner.invoke(args=["jobs", "show", str(job.id)]).output
    assert "3/3 processed, 1 failed" in shown and "Certificate expiry: 0." in shown
    monkeypatch.setattr(training.cohorts.reminders, "send_session_reminders", original)
    runner.invoke(args=["jobs", "retry", str(job.id)])
    db.session.expire_all()  # the retry ran in its own thread and session
    shown = runner.invoke(args=["jobs", "show", str(job.id)]).output
    assert "3/3 processed, 0 failed" in shown
    for line in ("Supervision digests and reminders: 0.", "Certificate expiry: 0.", "Live sessions tomorrow: 0."):
        assert line in shown


def test_bulk_issue_from_the_command_line_in_the_background(app, runner, people, course, credential):  # noqa: F811
    make_eligible(people["trainee"], course)
    result = runner.invoke(args=["certificates", "issue", "--credential", credential.slug, "--all-eligible",
                                 "--background"])
    assert result.exit_code == 0 and "for 1 trainee:" in result.output
    job_id = int(re.search(r"Job #(\d+)", result.output).group(1))
    assert "1/1 processed, 0 failed, finished" in runner.invoke(args=["jobs", "show", str(job_id), "--watch"]).output
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 1


def test_old_job_files_are_refused_then_removed_and_the_job_says_so(app, runner, people, login_as):
    """A job's file is downloadable for JOB_FILES_KEEP_DAYS after the job finished, and refused (410)
    from then on, even before `jobs clean` removes it; the job stays listed, its page says why there is
    nothing to download, and a retry is refused rather than making the file downloadable again, or a
    zip without the items already done."""
    from datetime import timedelta

    from training.db_types import utcnow

    supervisor = people["supervisor"]
    db.session.add(SupervisorAssignment(supervisor=supervisor, trainee=people["trainee"], starts_on=date(2026, 1, 1)))
    db.session.commit()
    client = login_as(supervisor)
    old_page = client.post("/supervision/reports", follow_redirects=True).text
    new_page = client.post("/supervision/reports", follow_redirects=True).text
    old, new = db.session.scalars(db.select(Job).order_by(Job.id)).all()
    old_file, new_file = (app.config["JOB_FILES_DIR"] + "/" + job.result_path for job in (old, new))
    import os

    days = app.config["JOB_FILES_KEEP_DAYS"]
    kept = f"This file was kept for {days} days after the job finished and is no longer available. Start the " \
           "job again to make a new one."
    old.finished_at = utcnow() - timedelta(days=days, minutes=-1)
    db.session.commit()
    _download(client, old_page)  # a minute left

    old.finished_at = utcnow() - timedelta(days=days, minutes=1)
    db.session.commit()
    assert os.path.exists(old_file)  # not cleaned yet, and no longer served
    refused = client.get(f"/jobs/{old.id}/download")
    assert refused.status_code == 410 and refused.mimetype == "text/html" and kept in refused.text
    spanish = client.get(f"/jobs/{old.id}/download", headers={"Accept-Language": "es"})
    assert spanish.status_code == 410 and f"se conservó durante {days} días" in spanish.text
    again = '<a class="button" href="/supervision">Make new reports from your supervisees’ page</a>'
    assert again in refused.text  # the way to a new file, where such reports are made
    page = client.get(f"/jobs/{old.id}").text
    assert kept in page and f"/jobs/{old.id}/download" not in page
    assert again.replace('class="button"', 'class="button button-secondary"') in page
    assert "Make new reports" not in client.get(f"/jobs/{new.id}").text  # its file is still there
    old.failed = 1  # what failed is not retried into a file that is no longer kept
    db.session.commit()
    assert "Retry" not in client.get(f"/jobs/{old.id}").text
    assert kept in client.post(f"/jobs/{old.id}/retry", follow_redirects=True).text
    assert db.session.get(Job, old.id).status == "finished"

    result = runner.invoke(args=["jobs", "clean"])
    assert result.exit_code == 0 and "1 file removed" in result.output, result.output
    assert not os.path.exists(old_file) and os.path.exists(new_file)
    _download(client, new_page)  # a recent job keeps its file
    assert client.get(f"/jobs/{old.id}/download").status_code == 410
    assert kept in client.get(f"/jobs/{old.id}").text
    assert f"/jobs/{old.id}" in client.get("/jobs").text  # still listed
    assert "0 files removed" in runner.invoke(args=["jobs", "clean"]).output  # nothing twice

    # Removed sooner than its days by hand: the page says so, and a retry would make a zip without the items done.
    assert "1 file removed" in runner.invoke(args=["jobs", "clean", "--days", "0"]).output
    new = db.session.get(Job, new.id)
    new.failed = 1
    db.session.commit()
    page = client.get(f"/jobs/{new.id}").text
    assert "Its file has been removed to free space on the server" in page
    assert f"/jobs/{new.id}/download" not in page and "Retry" not in page
    assert client.get(f"/jobs/{new.id}/download").status_code == 404
    refused = client.post(f"/jobs/{new.id}/retry", follow_redirects=True).text
    assert "Start the job again instead" in refused
    assert runner.invoke(args=["jobs", "clean", "--days", "-1"]).exit_code != 0


def test_a_bulk_issue_reads_its_job_starter_and_credential_once_per_chunk(
        people, make_user, course, credential, monkeypatch):  # noqa: F811
    """Each certificate is committed on its own, yet the job, the person who started it, the
    credential and the trainees are read once for the chunk, not again after every commit; and
    what each certificate records is still right."""
    from training.audit import AuditEvent
    from training.badges.keys import current_keys
    from training.certificates.jobs import start_bulk_issue
    from training.notifications import services as notifications

    trainees = [make_user(f"bulk{n}@example.org", roles={"trainee"}) for n in range(5)]
    for trainee in trainees:
        make_eligible(trainee, course)
    current_keys()  # the first generation of signing keys, made once for every certificate
    db.session.commit()
    announced = []  # telling the holders is a job of its own, with its own statements
    monkeypatch.setattr(notifications, "deliver_events", announced.extend)

    def reads(group):
        [(trainee.id, trainee.email) for trainee in group]  # read here, not counted with the job's
        with count_statements() as statements:
            job = start_bulk_issue(people["admin"], credential, group)
        counted = {table: sum(bool(re.search(rf'^SELECT\b.*\bFROM "?{table}"?\s', s, re.S)) for s in statements)
                   for table in ("job", "user", "credential", "issuer_key", "badge_holder")}
        db.session.expire_all()  # the job ran in a session of its own
        return db.session.get(Job, job.id), counted, len(statements)

    two, two_reads, two_statements = reads(trainees[:2])
    three, three_reads, three_statements = reads(trainees[2:])
    assert {table: three_reads[table] - two_reads[table] for table in two_reads} == {
        "job": 0, "user": 0, "credential": 0, "issuer_key": 1, "badge_holder": 1}
    # One more certificate costs its own statements only: its checks (8), its holder's identifier
    # and signing keys (5), the certificate and its audit event (6) and its progress (2).
    assert three_statements - two_statements <= 21

    for job in (two, three):
        assert (job.status, job.done, job.failed) == ("finished", job.total, 0)
    issued = db.session.scalars(db.select(Certificate).where(Certificate.user_id.in_([t.id for t in trainees])))
    assert sorted(c.holder_name for c in issued) == sorted(t.printed_name for t in trainees)
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "certificate.issued")).all()
    assert sorted(e.subject_id for e in events) == sorted(t.id for t in trainees)
    assert {e.actor_id for e in events} == {people["admin"].id}
    assert sorted(announced) == sorted(e.id for e in events)
