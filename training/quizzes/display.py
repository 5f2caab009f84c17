"""Answers in words for the review page; each question type describes its own."""
from flask_babel import gettext as _

from training.i18n import CONTENT_LANGUAGE
from training.quizzes.text import piece


def _empty(response):
    return response in (None, "", [], {})


def answer_text(slot):
    """The trainee's answer in words (HTML)."""
    if _empty(slot.response):
        return _("No answer")
    return slot.question_type.answer_html(slot.data, slot.response) or _("No answer")


def right_text(slot):
    """The answer that earns full marks, in words (HTML)."""
    return slot.question_type.right_html(slot.data)


def feedback_for(slot):
    """Feedback written for the answer the trainee gave (HTML)."""
    if slot.response is None:
        return []
    return slot.question_type.feedback(slot.data, slot.response)


def slot_language(slot):
    """The language a question was frozen in when its attempt started: the version whose words
    the slot holds, or the language content is written in."""
    return next((t.locale for t in slot.question.translations if t.stem_html == slot.stem_html), CONTENT_LANGUAGE)


def explanation_html(slot):
    """The question's general feedback, in its own format."""
    return piece(slot.data, {**slot.data, "explanation": slot.explanation}, "explanation")
