"""The graders: pure methods of the question types that score a response and change nothing."""
import copy
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from training.quizzes.grading import StepCounter, short_answer_matches, wildcard_match
from training.quizzes.types import DELIVERED, QUESTION_TYPES, grade, model_answer

SINGLE = {"choices": [
    {"id": "a", "text": "Right", "weight": 100, "feedback": "Yes"},
    {"id": "b", "text": "Half", "weight": 50, "feedback": "Partly"},
    {"id": "c", "text": "Wrong", "weight": 0, "feedback": "No"},
]}
MULTI = {"choices": [
    {"id": "a", "text": "A", "weight": 50, "feedback": ""},
    {"id": "b", "text": "B", "weight": 50, "feedback": ""},
    {"id": "c", "text": "C", "weight": -50, "feedback": "Not C"},
    {"id": "d", "text": "D", "weight": -100, "feedback": ""},
]}
TF = {"answer": False, "feedback_right": "Well done", "feedback_wrong": "It is false"}
SHORT = {"answers": [{"text": "burnout", "weight": 100, "feedback": ""},
                     {"text": "burn*", "weight": 50, "feedback": "Close"}]}
MATCH = {"pairs": [{"item": "cat", "match": "meow"}, {"item": "dog", "match": "woof"},
                   {"item": "cow", "match": "moo"}], "distractors": ["quack"]}
NUMERIC = {"answers": [{"value": 25, "tolerance": 0, "weight": 100, "feedback": ""},
                       {"min": 20, "max": 30, "weight": 50, "feedback": "Nearly"}]}
SAMPLES = {"single_choice": SINGLE, "multiple_choice": MULTI, "true_false": TF,
           "short_answer": SHORT, "matching": MATCH, "numerical": NUMERIC}


def test_single_choice_scores_the_chosen_weight_with_its_feedback():
    assert grade("single_choice", SINGLE, "a").score == 1.0
    half = grade("single_choice", SINGLE, "b")
    assert half.score == 0.5 and half.is_partial and half.feedback == ["Partly"]
    assert grade("single_choice", SINGLE, "c").score == 0.0
    assert not grade("single_choice", SINGLE, "zzz").answered


def test_multiple_choice_adds_weights_and_floors_at_zero():
    assert grade("multiple_choice", MULTI, ["a", "b"]).score == 1.0
    assert grade("multiple_choice", MULTI, ["a"]).score == 0.5
    assert grade("multiple_choice", MULTI, ["a", "b", "c"]).score == 0.5
    assert grade("multiple_choice", MULTI, ["a", "d"]).score == 0.0
    assert grade("multiple_choice", MULTI, ["c", "d"]).score == 0.0
    assert grade("multiple_choice", MULTI, ["a", "a", "a"]).score == 0.5  # repeats count once


def test_true_false_with_feedback():
    right = grade("true_false", TF, "false")
    assert right.score == 1.0 and right.feedback == ["Well done"]
    wrong = grade("true_false", TF, "true")
    assert wrong.score == 0.0 and wrong.feedback == ["It is false"]
    assert not grade("true_false", TF, "maybe").answered


@pytest.mark.parametrize("response, score", [
    ("burnout", 1.0), ("  BurnOut ", 1.0), ("burning", 0.5), ("burn", 0.5), ("stress", 0.0),
])
def test_short_answer_is_trimmed_case_insensitive_with_wildcards(response, score):
    assert grade("short_answer", SHORT, response).score == score


def test_short_answer_wildcard_does_not_treat_other_characters_as_patterns():
    assert short_answer_matches("a.c", "a.c") and not short_answer_matches("a.c", "abc")
    assert short_answer_matches("*peer*", "a peer worker")


def test_matching_gives_credit_per_pair():
    assert grade("matching", MATCH, {"0": "meow", "1": "woof", "2": "moo"}).score == 1.0
    assert grade("matching", MATCH, {"0": "meow", "1": "quack"}).score == pytest.approx(1 / 3)
    assert grade("matching", MATCH, {"0": "woof", "1": "meow", "2": "quack"}).score == 0.0


@pytest.mark.parametrize("response, score", [
    ("25", 1.0), ("25.0", 1.0), ("22", 0.5), ("30", 0.5), ("31", 0.0), ("twenty", 0.0), ("nan", 0.0),
    ("inf", 0.0), ("", 0.0),
])
def test_numerical_with_exact_value_and_range(response, score):
    assert grade("numerical", NUMERIC, response).score == score


def test_numerical_tolerance():
    data = {"answers": [{"value": 3.14, "tolerance": 0.01, "weight": 100, "feedback": ""}]}
    assert grade("numerical", data, "3.15").score == 1.0
    assert grade("numerical", data, "3.16").score == 0.0
    assert grade("numerical", data, "3,145").score == 1.0  # a decimal comma is accepted


junk = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.lists(st.text(max_size=5), max_size=5),
                 st.dictionaries(st.text(max_size=3), st.text(max_size=5), max_size=4), st.floats())


@pytest.mark.parametrize("qtype", DELIVERED)
@given(response=junk)
def test_any_response_scores_between_zero_and_one_and_changes_nothing(qtype, response):
    data = SAMPLES[qtype]
    before = copy.deepcopy(data)
    result = grade(qtype, data, response)
    assert 0.0 <= result.score <= 1.0
    assert data == before


@pytest.mark.parametrize("qtype", DELIVERED)
def test_the_model_answer_earns_full_marks(qtype):
    assert grade(qtype, SAMPLES[qtype], model_answer(qtype, SAMPLES[qtype])).score == 1.0


weights = st.lists(st.integers(min_value=-100, max_value=100), min_size=2, max_size=6)


@given(weights=weights, picks=st.sets(st.integers(min_value=0, max_value=5)))
def test_multiple_choice_score_is_the_clamped_sum_of_picked_weights(weights, picks):
    data = {"choices": [{"id": str(i), "text": str(i), "weight": w, "feedback": ""} for i, w in enumerate(weights)]}
    picked = [str(i) for i in picks if i < len(weights)]
    expected = max(0.0, min(1.0, sum(weights[int(i)] for i in picked) / 100)) if picked else 0.0
    assert grade("multiple_choice", data, picked).score == pytest.approx(expected)


@given(value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
       tolerance=st.floats(min_value=0, max_value=100, allow_nan=False),
       offset=st.floats(min_value=-200, max_value=200, allow_nan=False))
def test_numerical_accepts_exactly_the_values_within_tolerance(value, tolerance, offset):
    data = {"answers": [{"value": value, "tolerance": tolerance, "weight": 100, "feedback": ""}]}
    response = value + offset
    inside = abs(offset) <= tolerance * 0.999 or offset == 0
    outside = abs(offset) > tolerance * 1.001 + 1e-3 * max(1.0, abs(value))
    score = grade("numerical", data, repr(response)).score
    if inside:
        assert score == 1.0
    if outside:
        assert score == 0.0


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="*"),
                    min_size=1, max_size=20),
       ascii_word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=20))
def test_a_short_answer_matches_itself_trimmed_and_in_any_case(text, ascii_word):
    for answer, response in ((text, f"  {text}\t"), (ascii_word, ascii_word.upper())):
        if answer.strip():
            data = {"answers": [{"text": answer, "weight": 100, "feedback": ""}]}
            assert grade("short_answer", data, response).score == 1.0


def test_every_delivered_type_is_one_registered_class_with_all_its_parts():
    for name in DELIVERED:
        qtype = QUESTION_TYPES[name]
        assert qtype.name == name and qtype.template and qtype.review_template
        cls = type(qtype)
        for method in ("parse_gift", "gift_answers", "prepare", "read_response", "grade", "model_answer",
                       "right_html", "preview"):
            assert callable(getattr(cls, method))
    assert {name for name, t in QUESTION_TYPES.items() if not t.delivered} == {"essay", "description"}


# --- Moodle grades short answers and numbers by the first matching answer ------------------------

def test_short_answer_takes_the_first_matching_answer_in_order():
    data = {"answers": [{"text": "*cat*", "weight": 50, "feedback": "Some cat"},
                        {"text": "cat", "weight": 100, "feedback": "Exactly"}]}
    result = grade("short_answer", data, "cat")
    assert result.score == 0.5 and result.feedback == ["Some cat"]


def test_numerical_takes_the_first_matching_answer_in_order():
    data = {"answers": [{"value": 3, "tolerance": 2, "weight": 50, "feedback": "Near"},
                        {"value": 3, "tolerance": 0, "weight": 100, "feedback": "Exact"}]}
    assert grade("numerical", data, "3").score == 0.5


def test_numerical_any_answer_catches_every_other_number_with_its_feedback():
    data = {"format": "moodle", "answers": [{"value": 3, "tolerance": 2, "weight": 100, "feedback": ""},
                                            {"any": True, "weight": 0, "feedback": "Completely wrong"}]}
    assert grade("numerical", data, "4").score == 1.0
    wrong = grade("numerical", data, "40")
    assert wrong.score == 0.0 and wrong.feedback == ["Completely wrong"]
    assert not grade("numerical", data, "forty").feedback


def test_a_literal_star_is_written_backslash_star():
    assert short_answer_matches("5 \\* 3", "5 * 3") and not short_answer_matches("5 \\* 3", "5 x 3")
    assert short_answer_matches("5 * 3", "5 x 3")


def test_matching_describes_each_pair_right_or_wrong():
    rows = QUESTION_TYPES["matching"].rows(MATCH, {"0": "meow", "1": "quack"})
    assert [(r["given"], r["right"], r["correct"]) for r in rows] == [
        ("meow", "meow", True), ("quack", "woof", False), (None, "moo", False)]


# --- Wildcards in linear time --------------------------------------------------------------------

def _steps(pattern, text):
    counter = StepCounter()
    wildcard_match(pattern, text, counter)
    return counter.steps


@pytest.mark.parametrize("pattern, text", [
    ("*a*a*a*a*b", "a" * 200),            # the pattern that took seconds with a backtracking regex
    ("*a*a*a*a*a*a*a*a*a*a*b", "a" * 1000),
    ("*aaaaaaaaab", "a" * 1000),           # a long part that almost matches everywhere
    ("a*" * 100 + "b", "a" * 1000),
])
def test_wildcard_matching_does_work_linear_in_the_input(pattern, text):
    assert not wildcard_match(pattern, text)
    # At most a few comparisons per character of pattern and text, whatever their shape.
    assert _steps(pattern, text) <= 4 * (len(pattern) + len(text))


def test_wildcard_work_grows_linearly_when_the_input_doubles():
    pattern = "*a*a*a*a*b"
    small, large = _steps(pattern, "a" * 500), _steps(pattern, "a" * 1000)
    assert large <= 2.1 * small


def _reference(pattern, text):
    parts = [re.escape(p) for p in pattern.split("*")]
    return re.fullmatch(".*".join(parts), text, flags=re.DOTALL) is not None


@given(pattern=st.text(alphabet="ab*", max_size=12), text=st.text(alphabet="ab", max_size=12))
def test_wildcard_matching_agrees_with_a_regular_expression(pattern, text):
    assert wildcard_match(pattern, text) == _reference(pattern, text)


@given(seed=st.integers(min_value=0, max_value=10_000))
def test_wildcard_matching_stays_linear_on_random_hard_inputs(seed):
    rng = random.Random(seed)
    pattern = "*".join("a" * rng.randint(0, 5) + rng.choice(["", "b"]) for _ in range(rng.randint(1, 8)))
    text = "a" * rng.randint(0, 300) + rng.choice(["", "b"])
    assert _steps(pattern, text) <= 4 * (len(pattern) + len(text)) + 10


def test_no_code_or_page_outside_the_type_classes_branches_on_a_types_name():
    """A type's knowledge lives in its class: nothing else compares a question type to one of their
    names (the migrations, which describe old schemas, and the type classes' own templates aside)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    names = "|".join(re.escape(name) for name in QUESTION_TYPES)
    branch = re.compile(rf"""(==|!=|\bin\b|\bis\b)\s*[(\[{{]?\s*["']({names})["']|["']({names})["']\s*(==|!=)""")
    files = [p for p in [*root.joinpath("training").rglob("*.py"), *root.joinpath("templates").rglob("*.html")]
             if "migrations" not in p.parts and p.name != "types.py" and "types" not in p.parent.name]
    found = [f"{p.relative_to(root)}:{n}" for p in files
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1) if branch.search(line)]

    assert len(files) > 50 and not found, f"branches on a question type's name outside its class: {found}"
