from flask import Blueprint

bp = Blueprint("quizzes", __name__)

from training.quizzes import views  # noqa: E402,F401


@bp.app_context_processor
def review_helpers():
    from training.quizzes.display import answer_text, feedback_for, right_text

    return {"answer_text": answer_text, "right_text": right_text, "feedback_for": feedback_for}
