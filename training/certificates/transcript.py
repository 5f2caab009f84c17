"""A trainee's transcript: courses, exam scores and approved hours, as PDF/A."""
from datetime import date

from flask import current_app, render_template
from sqlalchemy import select

from training.courses.models import Course, CourseCompletion
from training.extensions import db
from training.pdf import render_html_pdf
from training.quizzes.models import Quiz
from training.quizzes.services import attempts_of, quiz_grade
from training.supervision.services import approved_minutes, requirement_progress


def transcript_context(trainee):
    completions = db.session.execute(
        select(Course.title, CourseCompletion.completed_at).join(CourseCompletion)
        .where(CourseCompletion.user_id == trainee.id).order_by(CourseCompletion.completed_at)).all()
    exams = []
    for quiz in db.session.scalars(select(Quiz).where(Quiz.active).order_by(Quiz.course_id, Quiz.module_id)):
        attempts = [a for a in attempts_of(trainee, quiz) if a.finished]
        if attempts:
            exams.append((quiz.title, quiz_grade(quiz, attempts), len(attempts), quiz.pass_mark))
    credential, requirements = requirement_progress(trainee)
    return {"trainee": trainee, "completions": completions, "exams": exams, "credential": credential,
            "requirements": requirements, "hours": approved_minutes(trainee), "today": date.today(),
            "organisation_name": current_app.config["ORGANISATION_NAME"]}


def transcript_pdf(trainee):
    return render_html_pdf(render_template("certificates/transcript_pdf.html", **transcript_context(trainee)))
