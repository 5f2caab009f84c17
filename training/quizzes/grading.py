"""Question types as a registry of pure grading functions.

Each grader takes a question's data (the dict stored with the question) and a trainee's
response, and returns a :class:`Grade`. Graders never touch the database or change their
arguments; saving the result is the caller's job.

Question data by type (weights are percentages, as in Moodle):

- ``single_choice`` / ``multiple_choice``: ``{"choices": [{"id", "text", "weight", "feedback"}]}``;
  the response is one choice id, or a list of ids.
- ``true_false``: ``{"answer": bool, "feedback_right": str, "feedback_wrong": str}``;
  the response is ``"true"`` or ``"false"``.
- ``short_answer``: ``{"answers": [{"text", "weight", "feedback"}]}``; the response is text.
- ``matching``: ``{"pairs": [{"item", "match"}], "distractors": [str]}``; the response maps an
  item's index (as a string) to the chosen match text.
- ``numerical``: ``{"answers": [{"value", "tolerance"} or {"min", "max"}, with "weight", "feedback"]}``;
  the response is a number as text.
"""
import math
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Grade:
    score: float  # 0.0 to 1.0 of the question's marks
    feedback: list = field(default_factory=list)  # feedback texts that apply to the response
    answered: bool = True

    @property
    def is_correct(self):
        return self.score >= 0.999

    @property
    def is_partial(self):
        return 0 < self.score < 0.999


def _clamp(value):
    return max(0.0, min(1.0, value))


def grade_single_choice(data, response):
    if not isinstance(response, str):
        return Grade(0.0, answered=False)
    for choice in data["choices"]:
        if choice["id"] == response:
            return Grade(_clamp(choice["weight"] / 100), [choice["feedback"]] if choice.get("feedback") else [])
    return Grade(0.0, answered=False)


def grade_multiple_choice(data, response):
    """Sum of the picked choices' weights; negative weights subtract; floored at 0."""
    if isinstance(response, str):
        response = [response]
    if not isinstance(response, list | tuple) or not response:
        return Grade(0.0, answered=False)
    picked = set(r for r in response if isinstance(r, str))
    chosen = [c for c in data["choices"] if c["id"] in picked]
    if not chosen:
        return Grade(0.0, answered=False)
    total = sum(c["weight"] for c in chosen) / 100
    return Grade(_clamp(total), [c["feedback"] for c in chosen if c.get("feedback")])


def grade_true_false(data, response):
    if response not in ("true", "false"):
        return Grade(0.0, answered=False)
    right = (response == "true") == data["answer"]
    feedback = data.get("feedback_right" if right else "feedback_wrong") or ""
    return Grade(1.0 if right else 0.0, [feedback] if feedback else [])


def _normalise(text):
    return " ".join(text.strip().lower().split())


def short_answer_matches(pattern, response):
    """Case-insensitive, trimmed comparison where ``*`` stands for any run of characters."""
    parts = [re.escape(p) for p in _normalise(pattern).split("*")]
    return re.fullmatch(".*".join(parts), _normalise(response), flags=re.DOTALL) is not None


def grade_short_answer(data, response):
    if not isinstance(response, str) or not response.strip():
        return Grade(0.0, answered=False)
    best = None
    for answer in data["answers"]:
        if short_answer_matches(answer["text"], response) and (best is None or answer["weight"] > best["weight"]):
            best = answer
    if best is None:
        return Grade(0.0)
    return Grade(_clamp(best["weight"] / 100), [best["feedback"]] if best.get("feedback") else [])


def grade_matching(data, response):
    """One share of the marks for each item matched correctly."""
    if not isinstance(response, dict) or not response:
        return Grade(0.0, answered=False)
    pairs = data["pairs"]
    right = sum(1 for index, pair in enumerate(pairs) if response.get(str(index)) == pair["match"])
    return Grade(right / len(pairs))


def parse_number(text):
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    elif isinstance(text, str):
        try:
            value = float(text.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def numerical_answer_matches(answer, value):
    if "min" in answer:
        return answer["min"] <= value <= answer["max"]
    # A tiny allowance so that 0.1 + 0.2 style rounding never fails an exact answer.
    return abs(value - answer["value"]) <= answer.get("tolerance", 0) + 1e-9 * max(1.0, abs(answer["value"]))


def grade_numerical(data, response):
    value = parse_number(response)
    if value is None:
        return Grade(0.0, answered=bool(isinstance(response, str) and response.strip()))
    best = None
    for answer in data["answers"]:
        if numerical_answer_matches(answer, value) and (best is None or answer["weight"] > best["weight"]):
            best = answer
    if best is None:
        return Grade(0.0)
    return Grade(_clamp(best["weight"] / 100), [best["feedback"]] if best.get("feedback") else [])


GRADERS = {
    "single_choice": grade_single_choice,
    "multiple_choice": grade_multiple_choice,
    "true_false": grade_true_false,
    "short_answer": grade_short_answer,
    "matching": grade_matching,
    "numerical": grade_numerical,
}

# Types a bank may hold but the platform does not deliver in quizzes.
UNDELIVERED = {"essay", "description"}


def grade(qtype, data, response):
    """Grade ``response`` to a question of ``qtype``; unknown types are an error."""
    return GRADERS[qtype](data, response)


def model_answer(qtype, data):
    """A response that earns full marks: for demonstrations and for checking graders."""
    if qtype == "single_choice":
        return max(data["choices"], key=lambda c: c["weight"])["id"]
    if qtype == "multiple_choice":
        return [c["id"] for c in data["choices"] if c["weight"] > 0]
    if qtype == "true_false":
        return "true" if data["answer"] else "false"
    if qtype == "short_answer":
        best = max(data["answers"], key=lambda a: a["weight"])
        return best["text"].replace("*", "")
    if qtype == "matching":
        return {str(i): pair["match"] for i, pair in enumerate(data["pairs"])}
    if qtype == "numerical":
        best = max(data["answers"], key=lambda a: a["weight"])
        return str(best["min"] if "min" in best else best["value"])
    raise KeyError(qtype)
