"""A trainee's transcript: courses, exam scores and approved hours, as PDF/A."""
from datetime import date

from flask import render_template
from sqlalchemy import select

from training.certificates.models import Certificate
from training.courses.models import Course, CourseCompletion
from training.credentials.evaluation import evaluate
from training.extensions import db
from training.i18n import current_language, for_user, localized, organisation_name
from training.pdf import render_html_pdf
from training.quizzes.models import Quiz
from training.quizzes.services import attempts_of, quiz_grade


def transcript_context(trainee):
    """What the transcript shows. Called inside ``for_user(trainee)``: the requirements' words,
    and the titles of courses that have a version in it, come out in the holder's language."""
    completions = [(localized(course, "title"), when) for course, when in db.session.execute(
        select(Course, CourseCompletion.completed_at).join(CourseCompletion)
        .where(CourseCompletion.user_id == trainee.id).order_by(CourseCompletion.completed_at))]
    exams = []
    for quiz in db.session.scalars(select(Quiz).where(Quiz.active).order_by(Quiz.course_id, Quiz.module_id)):
        attempts = [a for a in attempts_of(trainee, quiz) if a.finished]
        if attempts:
            exams.append((quiz.display_title, quiz_grade(quiz, attempts), len(attempts), quiz.pass_mark))
    certificates = db.session.scalars(select(Certificate).where(Certificate.user_id == trainee.id)
                                      .order_by(Certificate.issued_on, Certificate.id)).all()
    # Every credential the trainee is working toward, each with its hour requirements.
    toward = [(e.credential.title_in(current_language()), e.hour_items)
              for e in evaluate([trainee]).get(trainee.id, [])]
    return {"trainee": trainee, "completions": completions, "exams": exams, "toward": toward,
            "certificates": [(c, c.state()) for c in certificates],
            "today": date.today(), "organisation_name": organisation_name()}


def transcript_pdf(trainee):
    """The transcript in the holder's language, whoever asks for it."""
    with for_user(trainee):
        return render_html_pdf(render_template("certificates/transcript_pdf.html", **transcript_context(trainee)))
