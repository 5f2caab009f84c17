from flask import Blueprint
from markupsafe import Markup

bp = Blueprint("quizzes", __name__)

from training.quizzes import views  # noqa: E402,F401


@bp.app_context_processor
def review_helpers():
    from training.quizzes.display import answer_text, explanation_html, feedback_for, right_text
    from training.quizzes.text import piece

    return {"answer_text": answer_text, "right_text": right_text, "feedback_for": feedback_for,
            "explanation_html": explanation_html, "piece": piece}


@bp.app_template_filter("question_html")
def question_html(stored_html):
    """Stored question HTML, sanitised again on the way out (so older rows drop remote images too)."""
    from training.quizzes.text import sanitise

    return Markup(sanitise(stored_html or ""))
