"""Quizzes: attempts kept on the server, limits, time, completion, review and statistics."""
import io
import random
import re
from datetime import timedelta

import pytest

from training.courses.models import CourseCompletion, ModuleCompletion, TrainingCredit
from training.courses.services import final_exam, record_module_completion
from training.db_types import utcnow
from training.extensions import db
from training.quizzes.models import AttemptSlot, Question, QuizAttempt
from training.quizzes.services import (
    QuizRefused,
    item_statistics,
    quiz_grade,
    save_responses,
    start_attempt,
    submit_attempt,
)
from training.quizzes.types import model_answer

from .test_question_formats import DATA


def right_answers(attempt, wrong=0):
    return {slot.id: model_answer(slot.qtype, slot.data) for slot in attempt.slots[wrong:]}


def form_for(responses, attempt, blanks_ok=False):
    """The form fields a browser would send for these responses (``blanks_ok``: sent again after the
    page said some questions have no answer)."""
    data = {"action": "submit", **({"blanks_ok": "yes"} if blanks_ok else {})}
    qtypes = {s.id: s.qtype for s in attempt.slots}
    for slot_id, response in responses.items():
        if qtypes[slot_id] == "matching":
            for item, match in response.items():
                data[f"q{slot_id}_{item}"] = match
        else:
            data[f"q{slot_id}"] = response
    return data


@pytest.fixture
def quiz(course):
    return course.active_modules[0].quiz


def test_starting_an_attempt_freezes_its_questions_and_choice_order(people, login_as, quiz):
    client = login_as(people["trainee"])
    response = client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    assert response.location == f"/attempts/{attempt.id}"
    assert len(attempt.slots) == quiz.question_count == 6
    assert {s.question.category for s in attempt.slots} == {quiz.module.slug}
    first, second = client.get(f"/attempts/{attempt.id}").text, client.get(f"/attempts/{attempt.id}").text
    order = re.findall(r'id="(q\d+-[a-z])"', first)
    assert order and order == re.findall(r'id="(q\d+-[a-z])"', second)
    # Starting again resumes the same attempt instead of drawing a new one.
    assert client.post(f"/quizzes/{quiz.id}/start").location == f"/attempts/{attempt.id}"
    assert db.session.scalar(db.select(db.func.count()).select_from(QuizAttempt)) == 1


def test_passing_a_module_quiz_completes_the_module_and_opens_the_next(course, people, login_as, quiz):
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    response = client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt))
    assert response.location == f"/attempts/{attempt.id}/review"
    review = client.get(response.location).text
    assert "100%" in review and "Passed" in review and "The module is complete." in review
    assert db.session.scalar(db.select(ModuleCompletion).where(ModuleCompletion.module_id == quiz.module_id))
    second = course.active_modules[1]
    assert client.get(f"/courses/{course.slug}/{second.slug}").status_code == 200
    overview = client.get(f"/quizzes/{quiz.id}").text
    assert "Passed" in overview and "100%" in overview  # score history


def test_a_failed_attempt_does_not_complete_the_module(people, login_as, quiz):
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt, wrong=3), attempt, blanks_ok=True))
    assert db.session.get(QuizAttempt, attempt.id).percent == 50.0
    assert db.session.scalar(db.select(db.func.count()).select_from(ModuleCompletion)) == 0
    assert "Not passed yet" in client.get(f"/attempts/{attempt.id}/review").text


def test_review_shows_right_answers_and_explanations_when_the_rules_allow(people, login_as, quiz):
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    client.post(f"/attempts/{attempt.id}", data={"action": "submit", "blanks_ok": "yes"})
    page = client.get(f"/attempts/{attempt.id}/review").text
    assert "Right answer:" in page and "Why:" in page and "No answer" in page
    explanation = attempt.slots[0].explanation
    assert explanation and explanation.replace("'", "&#39;") in page


def test_an_answer_to_a_question_outside_the_attempt_is_refused(people, login_as, quiz):
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    foreign = max(s.id for s in db.session.scalars(db.select(AttemptSlot))) + 100
    data = form_for(right_answers(attempt), attempt)
    data[f"q{foreign}"] = "a"
    response = client.post(f"/attempts/{attempt.id}", data=data)
    assert response.status_code == 400 and "not part of this attempt" in response.text
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert not attempt.finished and all(s.response is None for s in attempt.slots)


def test_a_choice_the_question_never_offered_is_refused(people, login_as, quiz):
    """Only a forged form sends a choice that is not on the page: it is refused, and nothing of the
    attempt is saved (it would otherwise count as an answered question)."""
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    choice = next(s for s in attempt.slots if s.qtype in ("single_choice", "multiple_choice", "true_false"))
    for forged in ("zz", "x" * 100_000):
        data = form_for(right_answers(attempt), attempt)
        data[f"q{choice.id}"] = forged
        response = client.post(f"/attempts/{attempt.id}", data=data)
        assert response.status_code == 400 and "not one of the question" in response.text
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert not attempt.finished and all(s.response is None for s in attempt.slots)


def test_a_matching_answer_for_a_missing_item_is_refused(people, login_as, course):
    quiz = next(m.quiz for m in course.active_modules if any(
        q.qtype == "matching" for q in db.session.scalars(db.select(Question).where(Question.category == m.slug))))
    trainee = people["trainee"]
    for module in course.active_modules:
        if module.quiz.id == quiz.id:
            break
        record_module_completion(trainee, module)
    attempt = None
    for _ in range(5):  # draw until a matching question is in the attempt
        attempt = start_attempt(trainee, quiz, rng=random.Random(_))
        if any(s.qtype == "matching" for s in attempt.slots):
            break
        submit_attempt(attempt, {})
    slot = next((s for s in attempt.slots if s.qtype == "matching"), None)
    if slot is None:
        pytest.skip("no matching question drawn")
    response = login_as(trainee).post(f"/attempts/{attempt.id}", data={f"q{slot.id}_99": "x", "action": "submit"})
    assert response.status_code == 400 and "does not exist" in response.text


def test_submitting_with_questions_unanswered_asks_first_and_keeps_the_answers(people, login_as, quiz):
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    answers = right_answers(attempt)
    first = attempt.slots[0]
    partial = {first.id: answers[first.id]}
    page = client.post(f"/attempts/{attempt.id}", data=form_for(partial, attempt))
    blanks = len(attempt.slots) - 1
    assert page.status_code == 200 and f"{blanks} questions have no answer yet." in page.text
    assert 'name="blanks_ok" value="yes"' in page.text and f'href="#question-{attempt.slots[1].position}"' in page.text
    db.session.refresh(attempt)
    assert not attempt.finished and attempt.slots[0].response is not None  # kept, not submitted
    # Answering the rest submits at once; so would pressing Submit again as it is.
    response = client.post(f"/attempts/{attempt.id}", data=form_for(answers, attempt))
    assert response.status_code == 302 and response.location.endswith("/review")


def test_a_finished_attempt_cannot_be_submitted_again_or_rescored(people, login_as, quiz):
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    client.post(f"/attempts/{attempt.id}", data={"action": "submit", "blanks_ok": "yes"})
    again = client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt))
    assert again.status_code == 302 and again.location.endswith("/review")
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.score == 0.0 and all(s.response is None for s in attempt.slots)
    with pytest.raises(QuizRefused):
        submit_attempt(attempt, right_answers(attempt))
    assert db.session.get(QuizAttempt, attempt.id).score == 0.0


def test_answers_sent_again_to_a_submitted_attempt_are_said_not_to_count(people, login_as, quiz):
    """Back button or a second tab: the trainee learns the answers just sent changed nothing."""
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    client.post(f"/attempts/{attempt.id}", data={"action": "submit", "blanks_ok": "yes"})
    page = client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt),
                       follow_redirects=True).text
    assert "This attempt was submitted already, so the answers just sent were not saved." in page
    assert "already" not in client.get(f"/attempts/{attempt.id}", follow_redirects=True).text


def test_another_trainee_can_neither_see_nor_submit_an_attempt(people, login_as, quiz):
    login_as(people["trainee"]).post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    other = login_as(people["other_trainee"])
    assert other.get(f"/attempts/{attempt.id}").status_code == 404
    assert other.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt)).status_code == 404
    assert not db.session.get(QuizAttempt, attempt.id).finished


def test_save_and_continue_later_keeps_answers(people, login_as, quiz):
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    answers = right_answers(attempt)
    data = form_for(answers, attempt) | {"action": "save"}
    assert client.post(f"/attempts/{attempt.id}", data=data).status_code == 302
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert not attempt.finished and [s.response for s in attempt.slots] == [answers[s.id] for s in attempt.slots]
    assert "checked" in client.get(f"/attempts/{attempt.id}").text


def test_saving_a_timed_attempt_for_later_says_the_clock_keeps_running(course, people, login_as):
    exam = _open_exam(people["trainee"], course)
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{exam.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    page = client.post(f"/attempts/{attempt.id}", data={"action": "save"}, follow_redirects=True).text
    assert "You can come back to this attempt later." not in page
    deadline = attempt.deadline_at.strftime("%H:%M")
    assert "Your answers are saved. The time limit keeps running: submit by" in page and deadline in page


def test_the_draw_prefers_questions_not_seen_before(people, quiz):
    trainee = people["trainee"]
    bank = db.session.scalar(db.select(db.func.count()).select_from(Question).where(
        Question.category == quiz.module.slug, Question.active))
    first = start_attempt(trainee, quiz, rng=random.Random(1))
    submit_attempt(first, {})
    second = start_attempt(trainee, quiz, rng=random.Random(2))
    seen = {s.question_id for s in first.slots}
    unseen_drawn = [s for s in second.slots if s.question_id not in seen]
    assert len(unseen_drawn) == min(bank - len(seen), quiz.question_count)


def _open_exam(trainee, course):
    for module in course.active_modules:
        record_module_completion(trainee, module)
    return final_exam(course)


def test_the_final_exam_opens_when_every_module_is_done(course, people, login_as):
    exam = final_exam(course)
    client = login_as(people["trainee"])
    assert "opens when every module is done" in client.get(f"/quizzes/{exam.id}").text
    client.post(f"/quizzes/{exam.id}/start")
    assert db.session.scalar(db.select(db.func.count()).select_from(QuizAttempt)) == 0
    _open_exam(people["trainee"], course)
    assert client.post(f"/quizzes/{exam.id}/start").location.startswith("/attempts/")


def test_the_final_exam_draws_from_every_module_and_gates_completion(course, people):
    trainee = people["trainee"]
    exam = _open_exam(trainee, course)
    assert exam.question_count >= 25 and exam.pass_mark == 80
    assert db.session.scalar(db.select(CourseCompletion)) is None  # modules done, exam not passed
    attempt = start_attempt(trainee, exam)
    assert {s.question.category for s in attempt.slots} == {m.slug for m in course.active_modules}
    submit_attempt(attempt, right_answers(attempt, wrong=2))
    completion = db.session.scalar(db.select(CourseCompletion))
    assert completion is not None and completion.user_id == trainee.id
    credited = db.session.scalar(db.select(db.func.sum(TrainingCredit.minutes)))
    assert credited == course.credited_minutes


def test_attempt_limits_and_the_wait_between_attempts(course, people):
    trainee = people["trainee"]
    exam = _open_exam(trainee, course)
    now = utcnow()
    first = start_attempt(trainee, exam, now=now)
    submit_attempt(first, {}, now=now + timedelta(minutes=5))
    with pytest.raises(QuizRefused) as refused:
        start_attempt(trainee, exam, now=now + timedelta(minutes=30))
    assert refused.value.opens_at == first.submitted_at + timedelta(minutes=exam.wait_minutes)
    later = now
    for _ in range(exam.attempts_allowed - 1):
        later += timedelta(hours=2)
        submit_attempt(start_attempt(trainee, exam, now=later), {}, now=later + timedelta(minutes=5))
    with pytest.raises(QuizRefused, match=f"all {exam.attempts_allowed} attempts"):
        start_attempt(trainee, exam, now=later + timedelta(days=1))


def test_the_overview_says_when_the_next_attempt_opens(course, people, login_as):
    trainee = people["trainee"]
    exam = _open_exam(trainee, course)
    submit_attempt(start_attempt(trainee, exam), {})
    client = login_as(trainee)
    response = client.post(f"/quizzes/{exam.id}/start", follow_redirects=True)
    assert "your next attempt opens at" in response.text and "UTC" in response.text


def _use_every_exam_attempt(trainee, course):
    exam = _open_exam(trainee, course)
    start = utcnow() - timedelta(days=2)
    attempts = []
    for number in range(exam.attempts_allowed):
        moment = start + timedelta(hours=2 * number)
        attempts.append(submit_attempt(start_attempt(trainee, exam, now=moment), {}, now=moment + timedelta(minutes=5)))
    return exam, attempts


def test_a_trainee_who_used_every_exam_attempt_is_told_so_everywhere(course, people, login_as):
    """No page keeps asking a trainee to pass an exam they can no longer take, or promises a review
    that can no longer come."""
    exam, attempts = _use_every_exam_attempt(people["trainee"], course)
    client = login_as(people["trainee"])
    used = f"You have used all {exam.attempts_allowed} attempts allowed for this exam."
    overview = client.get(f"/quizzes/{exam.id}").text
    assert used in overview and "allowed for this quiz" not in overview
    assert "0 attempts left" not in overview  # the refusal says it once
    dashboard = client.get("/dashboard").text
    assert "pass its final exam to complete the course" not in dashboard
    assert "You have used every attempt at the final exam of Foundations of Peer Recovery Support." in dashboard
    assert f'href="/quizzes/{exam.id}"' in dashboard
    assert used in client.get(f"/courses/{course.slug}").text
    review = client.get(f"/attempts/{attempts[-1].id}/review").text
    assert "appears once you pass" not in review
    assert "The answers to this exam are shown only once it is passed." in review
    assert review.count("You have used") == 1  # the refusal says it; the note on answers does not repeat it
    client.post("/language", data={"locale": "es"})
    assert "Usted ya usó todos los intentos del examen final de" in client.get("/dashboard").text


def test_the_time_limit_is_enforced_by_the_server_clock(course, people):
    trainee = people["trainee"]
    exam = _open_exam(trainee, course)
    start = utcnow() - timedelta(minutes=exam.time_limit_minutes + 10)
    attempt = start_attempt(trainee, exam, now=start)
    saved = right_answers(attempt)
    half = {k: v for i, (k, v) in enumerate(saved.items()) if i < len(saved) // 2}
    save_responses(attempt, half, now=start + timedelta(minutes=5))
    with pytest.raises(QuizRefused, match="time limit has passed"):
        submit_attempt(attempt, saved)  # far past the deadline: only the saved half counts
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.finished and attempt.submitted_at == attempt.deadline_at
    assert attempt.score == pytest.approx(len(half) / len(attempt.slots))


def test_a_submission_within_the_grace_period_counts_at_the_deadline(course, people):
    trainee = people["trainee"]
    exam = _open_exam(trainee, course)
    start = utcnow() - timedelta(minutes=exam.time_limit_minutes, seconds=20)
    attempt = start_attempt(trainee, exam, now=start)
    submit_attempt(attempt, right_answers(attempt))
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.score == 1.0 and attempt.submitted_at == attempt.deadline_at


def test_review_after_pass_hides_answers_of_a_failed_exam(course, people, login_as):
    trainee = people["trainee"]
    exam = _open_exam(trainee, course)
    attempt = submit_attempt(start_attempt(trainee, exam), {})
    page = login_as(trainee).get(f"/attempts/{attempt.id}/review").text
    assert "<strong>0%</strong>" in page and "Right answer:" not in page and "once you pass" in page


@pytest.mark.parametrize("method, expected", [("highest", 0.9), ("latest", 0.5), ("first", 0.2),
                                              ("average", (0.2 + 0.9 + 0.5) / 3)])
def test_grading_across_attempts(quiz, method, expected):
    quiz.grading = method
    attempts = [QuizAttempt(score=s, submitted_at=utcnow(), number=i, pass_mark=70)
                for i, s in enumerate([0.2, 0.9, 0.5])]
    assert quiz_grade(quiz, attempts) == pytest.approx(expected)


def test_concurrent_starts_make_one_attempt(people, quiz):
    trainee = people["trainee"]
    one, two = start_attempt(trainee, quiz), start_attempt(trainee, quiz)
    assert one.id == two.id


def test_item_statistics_flag_weak_questions(course, make_user):
    quiz = course.active_modules[0].quiz
    quiz.question_count = len([q for q in db.session.scalars(db.select(Question).where(
        Question.category == quiz.module.slug, Question.active))])
    quiz.shuffle_questions = False
    db.session.commit()
    easy = hard = inverse = None
    for n in range(8):
        trainee = make_user(f"s{n}@example.org")
        attempt = start_attempt(trainee, quiz, rng=random.Random(0))
        slots = sorted(attempt.slots, key=lambda s: s.question_id)
        easy, hard, inverse = slots[0].question_id, slots[1].question_id, slots[2].question_id
        strong = n >= 4
        responses = {}
        for slot in slots:
            right = model_answer(slot.qtype, slot.data)
            if slot.question_id == easy:
                responses[slot.id] = right
            elif slot.question_id == hard:
                continue
            elif slot.question_id == inverse:
                if not strong:
                    responses[slot.id] = right
            elif strong:
                responses[slot.id] = right
        submit_attempt(attempt, responses)
    stats = {s.question.id: s for s in item_statistics(course)}
    assert stats[easy].attempts == 8 and stats[easy].facility == 1.0
    assert any("Too easy" in f for f in stats[easy].flags)
    assert any("Too hard" in f for f in stats[hard].flags)
    assert stats[inverse].discrimination < 0 and any("Negative" in f for f in stats[inverse].flags)
    assert sum(rate for _, rate in stats[easy].choice_rates) == pytest.approx(1.0) or stats[easy].choice_rates == []


def test_statistics_page_lists_flags(course, people, login_as):
    page = login_as(people["admin"]).get(f"/admin/questions/statistics?course={course.slug}")
    assert page.status_code == 200 and "Facility" in page.text


# --- Administration: the upload page -------------------------------------------------------------

def _upload(client, course, content, name="bank.gift", fmt="gift"):
    return client.post("/admin/questions/import", data={
        "course": course.slug, "format": fmt, "category": "uploaded",
        "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_upload_previews_then_imports(course, people, login_as):
    client = login_as(people["admin"])
    before = db.session.scalar(db.select(db.func.count()).select_from(Question))
    preview = _upload(client, course, (DATA / "all_forms.gift").read_bytes())
    assert preview.status_code == 200 and "Import 18 questions" in preview.text
    assert "essay on line" in preview.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == before
    content = re.search(r'id="content" name="content" type="hidden" value="([^"]*)"', preview.text)
    import html

    response = client.post("/admin/questions/import/confirm", data={
        "course": course.slug, "format": "gift", "category": "uploaded", "filename": "bank.gift",
        "content": html.unescape(content.group(1))})
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == before + 18


def test_upload_with_errors_shows_every_line_and_imports_nothing(course, people, login_as):
    client = login_as(people["admin"])
    preview = _upload(client, course, (DATA / "errors.gift").read_bytes())
    assert "Nothing can be imported: 8 problems found" in preview.text
    assert "Line 3: no answer is marked right" in preview.text
    assert "Import" not in re.sub(r"Nothing can be imported|Import questions|Upload again", "", preview.text
                                  ).split("</h1>")[1].split("<table")[0].replace("imported", "")
    response = client.post("/admin/questions/import/confirm", data={
        "course": course.slug, "format": "gift", "content": (DATA / "errors.gift").read_text()})
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Question).where(
        Question.category == "uploaded")) == 0


def test_a_file_that_is_not_utf8_gets_a_message(course, people, login_as):
    response = _upload(login_as(people["admin"]), course, b"\xff\xfe\x00binary")
    assert response.status_code == 400 and "not UTF-8" in response.text


@pytest.mark.config(MAX_UPLOAD_BYTES=1000)
def test_a_file_over_the_size_limit_gets_a_message(course, people, login_as):
    response = _upload(login_as(people["admin"]), course, b"x" * 1010)
    assert response.status_code == 400 and "larger than" in response.text


def test_an_upload_without_a_file_gets_a_message(course, people, login_as):
    response = login_as(people["admin"]).post("/admin/questions/import", data={"course": course.slug})
    assert response.status_code == 400 and "Choose a file to upload." in response.text


@pytest.mark.parametrize("content", [b"", b"// only a comment\n\n$CATEGORY: $course$/top/Empty\n\n",
                                     b"::Essay:: Write about hope.{}\n"])
def test_a_file_with_no_questions_to_import_is_refused_and_nothing_is_saved(course, people, login_as, content):
    client = login_as(people["admin"])
    before = db.session.scalar(db.select(db.func.count()).select_from(Question))
    response = _upload(client, course, content)
    assert response.status_code == 400
    assert "This file holds no questions to import" in response.text and "Import 0 questions" not in response.text
    assert 'id="file-error"' in response.text
    # Sent straight to the confirmation, it imports nothing either, and says why.
    confirmed = client.post("/admin/questions/import/confirm", data={
        "course": course.slug, "format": "gift", "category": "uploaded", "filename": "bank.gift",
        "content": content.decode()}, follow_redirects=True)
    assert "This file holds no questions to import" in confirmed.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == before


def test_aiken_upload(course, people, login_as):
    preview = _upload(login_as(people["admin"]), course, (DATA / "sample.aiken.txt").read_bytes(), fmt="aiken")
    assert "Import 2 questions" in preview.text


def test_bank_and_export_pages(course, people, login_as):
    client = login_as(people["admin"])
    page = client.get(f"/admin/questions?course={course.slug}&category={course.active_modules[0].slug}")
    assert page.status_code == 200 and "Final exam" in page.text
    export = client.get(f"/admin/questions/{course.slug}.gift")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    assert "$CATEGORY:" in export.text


# --- After passing: what comes next ---------------------------------------------------------------

def _pass(client, quiz):
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id))
    response = client.post(f"/attempts/{attempt.id}", data=form_for(right_answers(attempt), attempt))
    return client.get(response.location).text


def test_passing_a_module_quiz_offers_the_next_module(course, people, login_as, quiz):
    page = _pass(login_as(people["trainee"]), quiz)
    second = course.active_modules[1]
    assert f'href="/courses/{course.slug}/{second.slug}">Next module: {second.title}' in page.replace("&#39;", "'")


def test_a_failed_attempt_offers_no_next_module(people, login_as, quiz):
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    client.post(f"/attempts/{attempt.id}", data={"action": "submit", "blanks_ok": "yes"})
    assert "Next module" not in client.get(f"/attempts/{attempt.id}/review").text


def test_a_failed_attempt_says_what_comes_next(course, people, login_as, quiz):
    """The review of an attempt not passed offers the next attempt, or says when it opens."""
    client = login_as(people["trainee"])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    client.post(f"/attempts/{attempt.id}", data={"action": "submit", "blanks_ok": "yes"})
    review = client.get(f"/attempts/{attempt.id}/review").text
    assert f'action="/quizzes/{quiz.id}/start"' in review and "Start attempt 2" in review
    exam = _open_exam(people["trainee"], course)
    first = submit_attempt(start_attempt(people["trainee"], exam), {})
    review = client.get(f"/attempts/{first.id}/review").text
    assert "your next attempt opens at" in review and f'action="/quizzes/{exam.id}/start"' not in review


def test_passing_the_last_module_quiz_leads_to_the_final_exam(course, people, login_as):
    trainee = people["trainee"]
    modules = course.active_modules
    for module in modules[:-1]:
        record_module_completion(trainee, module)
    page = _pass(login_as(trainee), modules[-1].quiz)
    exam = final_exam(course)
    assert f'href="/quizzes/{exam.id}">Go to the final exam' in page


# --- Matching: every answer readable, every pair judged -------------------------------------------

def _attempt_with_matching(trainee, course):
    quiz = next(m.quiz for m in course.active_modules if any(
        q.qtype == "matching" for q in db.session.scalars(db.select(Question).where(Question.category == m.slug))))
    for module in course.active_modules:
        if module.quiz.id == quiz.id:
            break
        record_module_completion(trainee, module)
    quiz.question_count = db.session.scalar(db.select(db.func.count()).select_from(Question).where(
        Question.category == quiz.module.slug, Question.active))
    db.session.commit()
    attempt = start_attempt(trainee, quiz, rng=random.Random(0))
    return attempt, next(s for s in attempt.slots if s.qtype == "matching")


def test_matching_answers_are_radio_buttons_with_the_whole_text(course, people, login_as):
    trainee = people["trainee"]
    attempt, slot = _attempt_with_matching(trainee, course)
    page = login_as(trainee).get(f"/attempts/{attempt.id}").text
    form = page[page.index('<form method="post" class="quiz-form">'):]
    assert "<select" not in form[:form.index("</form>")]  # (the header's language picker is a select)
    for index, pair in enumerate(slot.data["pairs"]):
        assert f'<legend>{pair["item"]}</legend>' in page
        assert page.count(f'type="radio" name="q{slot.id}_{index}"') == len(slot.data["options"])
    for option in slot.data["options"]:
        assert f">{option}</label>" in page.replace("&#39;", "'")


def test_the_review_says_which_pair_was_right_or_wrong(course, people, login_as):
    trainee = people["trainee"]
    attempt, slot = _attempt_with_matching(trainee, course)
    pairs = slot.data["pairs"]
    answers = {slot.id: {"0": pairs[0]["match"], "1": pairs[0]["match"]}}  # first right, second wrong
    submit_attempt(attempt, answers)
    page = login_as(trainee).get(f"/attempts/{attempt.id}/review").text
    section = page.split(f'id="review-q{slot.position}"')[1].split("</section>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.DOTALL)[1:]
    assert len(rows) == len(pairs)
    assert "badge-done" in rows[0] and "badge-wrong" in rows[1]
    assert pairs[1]["match"].replace("'", "&#39;") in rows[1]  # the right match, shown for the wrong pair
    assert "No answer" in rows[2] and "badge-wrong" in rows[2]


def test_clearing_every_box_of_a_multiple_answer_question_clears_the_saved_answer(course, people, login_as):
    trainee = people["trainee"]
    quiz = course.active_modules[0].quiz
    quiz.question_count = db.session.scalar(db.select(db.func.count()).select_from(Question).where(
        Question.category == quiz.module.slug, Question.active))
    db.session.commit()
    attempt = start_attempt(trainee, quiz, rng=random.Random(0))
    slot = next(s for s in attempt.slots if s.qtype == "multiple_choice")
    client = login_as(trainee)
    client.post(f"/attempts/{attempt.id}", data={f"q{slot.id}": ["", slot.data["choices"][0]["id"]],
                                                 "action": "save"})
    assert db.session.get(AttemptSlot, slot.id).response == [slot.data["choices"][0]["id"]]
    client.post(f"/attempts/{attempt.id}", data={f"q{slot.id}": "", "action": "save"})
    assert db.session.get(AttemptSlot, slot.id).response == []


# --- Importing: where the questions will appear -------------------------------------------------------

def test_the_import_page_lists_which_quizzes_draw_from_each_category(course, people, login_as):
    page = login_as(people["admin"]).get(f"/admin/questions/import?course={course.slug}").text
    first = course.active_modules[0]
    row = page.split(f"<code>{first.slug}</code>")[1].split("</tr>")[0]
    assert f'href="/quizzes/{first.quiz.id}"' in row and f'href="/quizzes/{final_exam(course).id}"' in row


def test_the_preview_says_which_quizzes_draw_from_the_files_categories(course, people, login_as):
    client = login_as(people["admin"])
    first = course.active_modules[0]
    text = f"$CATEGORY: {first.slug}\n\n::New:: A new question?{{T}}\n\n$CATEGORY: spare\n\n::Other:: Another?{{F}}\n"
    page = _upload(client, course, text.encode()).text
    drawn = page.split(f"<code>{first.slug}</code>")[1].split("</li>")[0]
    assert f"Quiz: {first.title}" in drawn.replace("&#39;", "'") and "Final exam" in drawn
    spare = page.split("<code>spare</code>")[1].split("</li>")[0]
    assert "No quiz draws from it yet" in spare and "will appear in no quiz" in spare


def test_the_preview_lists_warnings_and_still_imports(course, people, login_as):
    page = _upload(login_as(people["admin"]), course, b"::W:: Pick.{=right ~%85%partly ~wrong}\n").text
    assert "Line 1: weight 85% is not one of Moodle&#39;s weights; it is read as 83.33333%, the nearest" in page
    assert "Import 1 question" in page


def test_an_aiken_file_whose_letters_run_past_z_gets_a_clear_message(course, people, login_as):
    letters = [chr(ord("A") + i % 26) for i in range(100)]
    text = "How many?\n" + "\n".join(f"{letter}. choice {i}" for i, letter in enumerate(letters)) + "\nANSWER: A\n"
    response = _upload(login_as(people["admin"]), course, text.encode(), name="big.txt", fmt="aiken")
    assert response.status_code == 200
    assert "Line 28: a question can have at most 26 choices, A to Z" in response.text
    assert "Nothing can be imported: 1 problem found" in response.text


def test_a_remote_image_in_an_older_stored_question_is_not_shown(course, people, login_as):
    trainee = people["trainee"]
    quiz = course.active_modules[0].quiz
    for question in db.session.scalars(db.select(Question).where(Question.category == quiz.module.slug)):
        question.stem_html = '<p>Look <img src="https://tracker.example/p.png" alt="x"></p>'
    db.session.commit()
    client = login_as(trainee)
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(db.select(QuizAttempt))
    page = client.get(f"/attempts/{attempt.id}").text
    assert "Look" in page and "tracker.example" not in page
