"""GIFT read as Moodle reads it, case by case.

Each test states one rule of Moodle's GIFT reader (question/format/gift/format.php and
the question types' own rules) and checks that a file written for Moodle means the same
here: what is stored, how it is graded, and what comes back out on export.
"""
import pytest

from training.quizzes.formats import parse_gift, stem_html, to_gift
from training.quizzes.gift import MOODLE_WEIGHTS, nearest_weight
from training.quizzes.text import on_this_site, render
from training.quizzes.types import grade


def one(text):
    """The single question of a GIFT snippet, which must read without errors."""
    result = parse_gift(text)
    assert result.errors == [], result.errors
    assert len(result.questions) == 1
    return result.questions[0]


def warnings_of(text):
    return [w.message for w in parse_gift(text).warnings]


def errors_of(text):
    return [e.message for e in parse_gift(text).errors]


def round_trip(question):
    """Export a question and read it back."""
    again = one(to_gift([question]))
    assert (again.type, again.title, again.stem, again.format, again.explanation, again.data) == (
        question.type, question.title, question.stem, question.format, question.explanation, question.data)
    return again


# --- Escapes ------------------------------------------------------------------------------------

def test_escaped_specials_are_plain_characters():
    q = one(r"::Esc\:aped:: Ratio 1\:4, \{braces\}, \~ \= \#? {=Yes\: 1\:4#Right \# indeed ~No}")
    assert q.title == "Esc:aped"
    assert q.stem == "Ratio 1:4, {braces}, ~ = #?"
    assert q.data["choices"][0] == {"id": "a", "text": "Yes: 1:4", "weight": 100, "feedback": "Right # indeed"}
    round_trip(q)


def test_backslash_n_is_a_line_break_and_a_double_backslash_one_backslash():
    # Moodle: "\\" reads as one backslash and "\\\\" as two; "\n" is a new line.
    q = one(r"::Slashes:: A \\ B \\\\ C\nnext line{}")
    assert q.stem == "A \\ B \\\\ C\nnext line"
    round_trip(q)


# --- Text formats ---------------------------------------------------------------------------------

def test_html_question_text_is_kept_as_sanitised_html():
    q = one("::H::[html]<p>Is <b>this</b> safe?<script>alert(1)</script></p>{T}")
    assert q.format == "html" and q.stem == "<p>Is <b>this</b> safe?<script>alert(1)</script></p>"
    html = stem_html(q)
    assert "<b>this</b>" in html and "<script" not in html and "alert" not in html


def test_markdown_question_text_is_rendered():
    q = one("::M::[markdown]Is **recovery** self-directed?{T}")
    assert q.format == "markdown" and "<strong>recovery</strong>" in stem_html(q)


def test_plain_text_shows_its_tags_and_moodle_format_allows_html():
    assert "&lt;b&gt;" in stem_html(one("::P::[plain]Is <b>this</b> shown as typed?{T}"))
    moodle = one("::D::Is <b>this</b> bold?\\nAnd on two lines?{T}")
    assert moodle.format == "moodle"
    assert "<b>this</b>" in stem_html(moodle) and "<br>" in stem_html(moodle)


def test_each_answer_and_feedback_may_have_its_own_format():
    q = one("::F:: Which colour sits between orange and green?\n"
            "{\n=yellow # right\n~red # [html]<em>no</em>, it is yellow\n~[plain]blue # no\n}")
    yellow, red, blue = q.data["choices"]
    assert red["feedback"] == "<em>no</em>, it is yellow" and red["feedback_format"] == "html"
    assert "text_format" not in red
    # A piece's own format covers that piece only: blue's feedback stays in the question's format.
    assert blue["text"] == "blue" and blue["text_format"] == "plain" and "feedback_format" not in blue
    assert grade("single_choice", q.data, red["id"]).feedback == ["<em>no</em>, it is yellow"]
    assert ">~[plain]blue#no" in ">" + to_gift([q]).split("\n")[3].strip()
    round_trip(q)


def test_an_unknown_or_differently_spelled_bracket_is_part_of_the_text():
    assert one("[Case study] A peer worker is asked for advice.{T}").stem == (
        "[Case study] A peer worker is asked for advice.")
    upper = one("[HTML]<b>x</b> is bold?{T}")
    assert upper.format == "moodle" and upper.stem == "[HTML]<b>x</b> is bold?"


def test_text_that_starts_like_a_format_survives_export():
    assert one("::B:: [html] sets the format.{T}").format == "html"  # as Moodle: a leading [html] always does
    plain = one("::B::[moodle][html] is a format name.{T}")
    assert plain.format == "moodle" and plain.stem == "[html] is a format name."
    round_trip(plain)


def test_general_feedback_takes_its_own_format_and_the_last_four_hashes():
    q = one("::G:: Name the state of exhaustion.{=burnout####[html]It is <b>burnout</b>.}")
    assert q.explanation == "It is <b>burnout</b>." and q.data["explanation_format"] == "html"
    round_trip(q)
    # Moodle splits at the last ####, so an earlier one stays inside the answer's feedback.
    q = one("::G2:: Name it.{=burnout#See ####part one####part two}")
    assert q.explanation == "part two"
    assert q.data["answers"][0]["feedback"] == "See ####part one"


# --- Remote images --------------------------------------------------------------------------------

@pytest.mark.parametrize("address", [
    "https://tracker.example/pixel.png", "http://tracker.example/p.gif", "//tracker.example/p.png",
    "/\\tracker.example/p.png", " //tracker.example/p.png", "/\t/tracker.example/p.png",
    "data:image/png;base64,AAAA", "javascript:alert(1)",
])
def test_images_from_other_sites_are_left_out_with_a_warning(address):
    text = f'::I::[html]<p>Look: <img src="{address}" alt="chart"> here</p>{{T}}'
    q = one(text)
    assert "<img" not in stem_html(q)
    assert "Look:" in stem_html(q)
    if address.startswith(("http", "/", " ")):
        assert any("on another site" in w for w in warnings_of(text))


def test_images_on_this_site_stay():
    q = one('::I::[html]<p><img src="/static/diagram.png" alt="The recovery wheel"></p>{T}')
    assert '<img src="/static/diagram.png" alt="The recovery wheel">' in stem_html(q)
    assert on_this_site("/static/a.png") and not on_this_site("//x.example/a.png")


def test_remote_images_are_dropped_in_the_moodle_format_and_in_feedback_too():
    q = one('::I::See <img src="https://x.example/a.png"> this?{T#<img src="https://x.example/b.png">wrong}')
    assert "<img" not in stem_html(q)
    feedback = grade("true_false", q.data, "false").feedback
    assert feedback and "<img" not in feedback[0] and "wrong" in feedback[0]
    assert "<img" not in render("![chart](https://x.example/a.png)", "markdown")


# --- True or false --------------------------------------------------------------------------------

@pytest.mark.parametrize("word, answer", [("T", True), ("TRUE", True), ("F", False), ("FALSE", False)])
def test_true_false_words(word, answer):
    q = one(f"::TF:: Supervision protects against burnout.{{{word}}}")
    assert q.type == "true_false" and q.data["answer"] is answer


def test_true_false_feedback_is_wrong_first_then_right():
    q = one("::TF:: Peers diagnose conditions.{FALSE#Peers never diagnose.#Right: diagnosis is clinical.}")
    assert q.data["feedback_wrong"] == "Peers never diagnose."
    assert q.data["feedback_right"] == "Right: diagnosis is clinical."
    assert grade("true_false", q.data, "true").feedback == ["Peers never diagnose."]
    assert grade("true_false", q.data, "false").feedback == ["Right: diagnosis is clinical."]
    assert "{FALSE#Peers never diagnose.#Right\\: diagnosis is clinical.}" in to_gift([q])
    round_trip(q)


def test_true_false_with_only_right_feedback_keeps_an_empty_wrong_one():
    q = one("::TF:: Hope can be shared.{TRUE##Yes.}")
    assert (q.data["feedback_wrong"], q.data["feedback_right"]) == ("", "Yes.")
    assert "{TRUE##Yes.}" in to_gift([q])


def test_lower_case_true_is_a_short_answer_as_in_moodle_with_a_warning():
    text = "::TF:: Hope can be shared.{true}"
    q = one(text)
    assert q.type == "short_answer" and q.data["answers"][0]["text"] == "true"
    assert any("write {T} or {F}" in w for w in warnings_of(text))


# --- Multiple choice ------------------------------------------------------------------------------

def test_a_tilde_makes_multiple_choice_and_an_equals_sign_makes_it_single():
    assert one("::S:: Pick one.{=right ~wrong}").type == "single_choice"
    multi = one("::M:: Pick two.{~%50%one ~%50%two ~%-100%three}")
    assert multi.type == "multiple_choice"
    assert [c["weight"] for c in multi.data["choices"]] == [50, 50, -100]
    assert grade("multiple_choice", multi.data, ["a", "b"]).score == 1.0
    assert grade("multiple_choice", multi.data, ["a", "c"]).score == 0.0


def test_full_marks_on_one_choice_with_penalties_on_others():
    q = one("::M:: Which?{~%100%yellow#good ~%-50%red#no ~%-50%blue#no}")
    assert q.type == "multiple_choice"
    assert [c["weight"] for c in q.data["choices"]] == [100, -50, -50]
    assert "~%100%yellow#good" in to_gift([q]) and "~%-50%red#no" in to_gift([q])


def test_text_before_the_first_answer_is_a_wrong_choice_as_in_moodle():
    text = "::W:: Which?{maybe ~no =yes}"
    q = one(text)
    assert [(c["text"], c["weight"]) for c in q.data["choices"]] == [("maybe", 0), ("no", 0), ("yes", 100)]
    assert any("read as a wrong answer" in w for w in warnings_of(text))


def test_missing_word_questions_leave_a_blank_where_the_answers_were():
    q = one("A peer worker offers {~therapy =lived experience ~a diagnosis} as the basis of support.")
    assert q.stem == "A peer worker offers _____ as the basis of support."
    assert one("Recovery{=is ~isn't}personal.").stem == "Recovery_____personal."
    # Moodle writes the blank into the text and the answers at the end; reading that back is the same.
    round_trip(q)


# --- Weights ----------------------------------------------------------------------------------------

def test_moodle_weight_list():
    assert MOODLE_WEIGHTS[:3] == [0, 100, 90] and -100 in MOODLE_WEIGHTS and 83.33333 in MOODLE_WEIGHTS
    assert len(MOODLE_WEIGHTS) == 41  # 0, 20 positive, 20 negative


@pytest.mark.parametrize("written, read", [
    ("85", 83.33333), ("33.3", 33.33333), ("34", 33.33333), ("95", 90), ("150", 100), ("-7", -5),
    ("-61", -60), ("1", 0), ("62", 60), ("12.6", 12.5),
])
def test_a_weight_off_moodles_list_snaps_to_the_nearest_with_a_warning(written, read):
    text = f"::W:: Pick.{{=right ~%{written}%partly ~wrong}}"
    q = one(text)
    assert q.data["choices"][1]["weight"] == read
    assert any(f"weight {written}% is not one of Moodle's weights" in w for w in warnings_of(text))


@pytest.mark.parametrize("written", ["50", "33.33333", "-100", "12.5", "0", "83.33333"])
def test_a_weight_on_the_list_reads_without_a_warning(written):
    assert warnings_of(f"::W:: Pick.{{=right ~%{written}%partly ~wrong}}") == []


def test_snapping_compares_fractions_as_moodle_does_and_keeps_the_first_of_a_tie():
    assert nearest_weight(95) == 90  # 0.95 is a hair nearer 0.9 than 1.0 in floating point
    assert nearest_weight(2.5) == 0 and nearest_weight(-2.5) == 0  # 0 comes first in Moodle's list
    assert nearest_weight(500) is None


@pytest.mark.parametrize("token, message", [
    ("~%100.5%a", "is not a weight Moodle can read"),
    ("~%--50%a", "is not a number"),
    ("~%500%a", "too far from any weight"),
    ("=%50%a", "= always means 100%"),
])
def test_weights_moodle_cannot_read_are_errors(token, message):
    errors = errors_of(f"::W:: Pick.{{{token} ~b =c}}")
    assert errors and message in errors[0]


def test_export_writes_only_moodles_weights():
    q = one("::W:: Pick.{=right ~%85%partly ~wrong}")
    q.data["choices"][1]["weight"] = 41  # as an older bank might hold
    assert "~%40%partly" in to_gift([q])
    short = one("::S:: Name it.{=burnout =%33.3%burn*}")
    assert "=%100%burnout" in to_gift([short]) and "=%33.33333%burn*" in to_gift([short])


# --- Short answer -----------------------------------------------------------------------------------

def test_short_answer_weights_wildcards_and_a_catch_all():
    q = one("::S::Which word fits?{\n=burnout#Good!\n=%50%burn*#Close.\n=%0%*#Not that.\n}")
    assert [(a["text"], a["weight"]) for a in q.data["answers"]] == [("burnout", 100), ("burn*", 50), ("*", 0)]
    assert grade("short_answer", q.data, "BURNOUT").score == 1.0
    assert grade("short_answer", q.data, "burning").feedback == ["Close."]
    assert grade("short_answer", q.data, "stress").feedback == ["Not that."]
    round_trip(q)


def test_a_short_answer_without_an_equals_sign_is_read_as_the_right_answer():
    q = one("::S:: Name the exhaustion supervision helps prevent.{burnout}")
    assert q.type == "short_answer" and q.data["answers"] == [{"text": "burnout", "weight": 100, "feedback": ""}]


# --- Matching ---------------------------------------------------------------------------------------

def test_matching_pairs_item_formats_and_distractors():
    q = one("::Match::[html]Match each <b>service</b> with its focus.{\n"
            "=[html]<i>Peer</i> support -> Lived experience\n"
            "=[plain]Therapy & counselling -> Clinical treatment\n"
            "=Detox -> Medical withdrawal care\n"
            "= -> Legal advice\n}")
    peer, therapy, detox = q.data["pairs"]
    assert peer == {"item": "<i>Peer</i> support", "match": "Lived experience"}  # the question's format
    assert therapy["item_format"] == "plain" and detox["match"] == "Medical withdrawal care"
    assert q.data["distractors"] == ["Legal advice"]
    assert "=[plain]Therapy & counselling -> Clinical treatment" in to_gift([q])
    round_trip(q)


def test_matching_needs_an_arrow_in_every_answer():
    assert "every answer of a matching question" in errors_of("::M:: Match.{=a -> b =c}")[0]


# --- Numerical ----------------------------------------------------------------------------------------

def test_numerical_answer_with_feedback_for_every_other_answer():
    # Moodle's catch-all: ~#feedback after the answers is shown for any other number.
    q = one("::N:: What is a number from 1 to 5? {#3:2~#Completely wrong}")
    assert q.data["answers"] == [{"value": 3.0, "tolerance": 2.0, "weight": 100, "feedback": ""},
                                 {"any": True, "weight": 0, "feedback": "Completely wrong"}]
    assert grade("numerical", q.data, "4.5").score == 1.0
    assert grade("numerical", q.data, "9").feedback == ["Completely wrong"]
    assert "~#Completely wrong" in to_gift([q])
    round_trip(q)


def test_text_between_the_tilde_and_the_feedback_is_ignored_as_moodle_does_with_a_warning():
    text = "::N:: How many hours? {#25 ~%50%20#Not quite}"
    q = one(text)
    assert q.data["answers"][-1] == {"any": True, "weight": 0, "feedback": "Not quite"}
    assert any("left out" in w for w in warnings_of(text))


@pytest.mark.parametrize("spec, inside, outside", [
    ("4..6", ["4", "5.5", "6"], ["3.99", "6.01"]),
    ("-5..-1", ["-3"], ["0"]),
    ("3.333:0.01", ["3.34", "3,33"], ["3.35"]),
    ("25", ["25", "25.0"], ["24"]),
    ("1e3:10", ["995"], ["1011"]),
])
def test_numerical_ranges_and_tolerances(spec, inside, outside):
    q = one(f"::N:: Number?{{#{spec}}}")
    for value in inside:
        assert grade("numerical", q.data, value).score == 1.0, value
    for value in outside:
        assert grade("numerical", q.data, value).score == 0.0, value
    round_trip(q)


def test_several_numerical_answers_with_weights_and_feedback():
    q = one("::N:: The standard asks for 500 hours. How many? {#\n=500\n=%50%490:10#Close.\n####Five hundred.\n}")
    assert [a["weight"] for a in q.data["answers"]] == [100, 50] and q.explanation == "Five hundred."
    assert grade("numerical", q.data, "495").feedback == ["Close."]
    round_trip(q)


@pytest.mark.parametrize("body, message", [
    ("#lots", "'lots' is not a number"), ("#9..1", "from low to high"), ("#3:-1", "cannot be negative"),
    ("#inf", "is not a number"), ("#1e999", "is not a number"), ("#", "needs an answer"),
    ("#=%0%3", "needs an answer worth marks"),
])
def test_numerical_answers_moodle_would_store_wrongly_are_errors(body, message):
    errors = errors_of(f"::N:: Number?{{{body}}}")
    assert errors and message in errors[0]


# --- Essays, descriptions, structure --------------------------------------------------------------------

def test_essays_and_descriptions_are_read_and_reported_as_not_delivered():
    result = parse_gift("::E:: Describe your recovery story.{}\n\n::E2:: Reflect.{####Think of a time.}\n\n"
                        "::D:: This part covers the basics.\n")
    assert [(q.type, q.delivered, q.line) for q in result.questions] == [
        ("essay", False, 1), ("essay", False, 3), ("description", False, 5)]
    assert result.questions[1].explanation == "Think of a time."
    assert result.delivered == [] and len(result.skipped) == 3
    for q in result.questions:
        round_trip(q)


def test_an_unclosed_title_leaves_the_question_without_a_title_with_a_warning():
    text = "::Unclosed title What is peer support?{=lived experience ~therapy}"
    q = one(text)
    assert q.title == "" and q.stem == "Unclosed title What is peer support?"
    assert any("not closed with ::" in w for w in warnings_of(text))


def test_a_long_title_is_cut_and_a_long_category_refused():
    q = one("::" + "t" * 300 + ":: Question?{T}")
    assert len(q.title) == 255
    assert "at most 200 characters" in errors_of("$CATEGORY: " + "c" * 201 + "\n\n::Q:: Question?{T}")[0]


def test_comment_lines_are_ignored_and_blank_lines_end_questions():
    result = parse_gift("// a comment\n::A:: First?{T}\n// between lines\n\n::B:: Second?{\n\n=x ~y}\n")
    assert [q.title for q in result.questions] == ["A"]
    assert [e.line for e in result.errors] == [5, 7]


def test_categories_apply_to_the_questions_after_them():
    result = parse_gift("$CATEGORY: first\n\n::A:: One?{T}\n\n$CATEGORY: second\n::B:: Two?{F}\n")
    assert [(q.title, q.category) for q in result.questions] == [("A", "first"), ("B", "second")]
    assert "$CATEGORY: first" in to_gift(result.questions)
