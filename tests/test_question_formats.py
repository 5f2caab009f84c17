"""GIFT and Aiken: parsing every form, reporting errors by line, export and round trips."""
import json
from pathlib import Path

import pytest

from training.extensions import db
from training.quizzes.formats import parse_aiken, parse_gift, to_gift
from training.quizzes.models import Question
from training.quizzes.services import as_parsed, import_questions

DATA = Path(__file__).parent / "data"


def parsed(name):
    return parse_gift((DATA / name).read_text(encoding="utf-8"))


def by_title(result):
    return {q.title: q for q in result.questions}


def test_every_gift_form_parses():
    result = parsed("all_forms.gift")
    assert result.errors == []
    q = by_title(result)
    assert q["Single choice"].type == "single_choice"
    assert [c["weight"] for c in q["Single choice"].data["choices"]] == [100, 0, 25]
    assert q["Single choice"].data["choices"][1]["feedback"] == "No: the peer supports, the person leads."
    assert q["Single choice"].explanation == "Recovery belongs to the person in it."
    assert q["Several answers"].type == "multiple_choice"
    assert [c["weight"] for c in q["Several answers"].data["choices"]] == [50, 50, -100]
    assert (q["True short form"].type, q["True short form"].data["answer"]) == ("true_false", True)
    long_form = q["True long form"].data
    assert long_form["answer"] is False and long_form["feedback_wrong"] == "Peers never diagnose."
    assert long_form["feedback_right"] == "Right: diagnosis is clinical."
    assert q["True long form"].explanation == "Diagnosis belongs to clinicians."
    # Moodle recognises only T, TRUE, F and FALSE in capitals; {true} is a short answer.
    assert q["Lower-case true"].type == "short_answer"
    short = q["Short answer"]
    assert short.type == "short_answer" and [a["text"] for a in short.data["answers"]] == ["burnout", "burn*"]
    matching = q["Matching"]
    assert matching.data["pairs"][2] == {"item": "Detox", "match": "Medical withdrawal care"}
    assert matching.data["distractors"] == ["Legal advice"]
    assert matching.explanation == "Each service has its own focus."
    assert q["Numerical exact"].data["answers"] == [{"value": 25.0, "tolerance": 0.0, "weight": 100, "feedback": ""}]
    assert q["Numerical tolerance"].data["answers"][0]["tolerance"] == 0.01
    assert q["Numerical range"].data["answers"][0] == {"min": 4.0, "max": 6.0, "weight": 100, "feedback": ""}
    several = q["Numerical several"].data["answers"]
    assert several[1] == {"value": 490.0, "tolerance": 10.0, "weight": 50,
                          "feedback": "Close, but check the number."}
    assert q["Numerical several"].explanation == "Five hundred hours."
    assert q["Inline"].stem == "A peer worker offers _____ as the basis of support."
    assert q["Essay"].type == "essay" and q["Description"].type == "description"


def test_categories_line_numbers_and_comments():
    q = by_title(parsed("all_forms.gift"))
    # Moodle's context prefix ("$course$/", and its "top" category after it) names no category of ours.
    assert q["Single choice"].category == "Foundations/Basics"
    assert q["Single choice"].line == 6
    assert q["HTML format"].category == "formats"
    assert all(not t.startswith("//") for t in q)


@pytest.mark.parametrize("line, category", [
    ("$CATEGORY: $course$/top/Default for Peer Support", "Default for Peer Support"),
    ("$CATEGORY: $course$/Ethics", "Ethics"),
    ("$CATEGORY: $system$/top/Shared/Boundaries", "Shared/Boundaries"),
    ("$CATEGORY: $module$/top", "top"),
    ("$CATEGORY: ethics/$course$/notes", "ethics/$course$/notes"),
])
def test_moodles_context_prefix_is_stripped_from_category_names(line, category):
    result = parse_gift(f"{line}\n\n::Q:: Hope can be shared.{{T}}\n")
    assert result.errors == [] and result.questions[0].category == category


def test_a_question_imported_with_moodles_prefix_is_updated_in_place_not_imported_again(app, course):
    old = Question(course_id=course.id, key="$course$/top/Ethics/Q", category="$course$/top/Ethics", qtype="true_false",
                   title="Q", stem="Hope can be shared.", stem_format="moodle", stem_html="", data={"answer": True},
                   explanation="", source_file="bank.gift", source_line=3)
    db.session.add(old)
    db.session.commit()
    report = import_questions(course, parse_gift("$CATEGORY: $course$/top/Ethics\n\n::Q:: Hope can be shared.{T}\n"),
                              "bank.gift")
    db.session.commit()
    assert (report.created, report.updated) == (0, 1)
    db.session.refresh(old)
    assert (old.key, old.category) == ("Ethics/Q", "Ethics")


def test_text_formats_and_sanitising():
    from training.quizzes.formats import stem_html

    q = by_title(parsed("all_forms.gift"))
    html = stem_html(q["HTML format"])
    assert "<strong>bold</strong>" in html and "<script" not in html
    assert "<strong>this</strong>" in stem_html(q["Markdown format"])
    assert "&lt;b&gt;" in stem_html(q["Plain format"])
    assert q["Moodle format"].format == "moodle"


def test_escaped_specials_stay_as_text():
    q = by_title(parsed("all_forms.gift"))["Escapes"]
    assert q.stem == "Escaped specials: ~ = # { } all stay as text."
    assert q.data["choices"][0] == {"id": "a", "text": "Yes: they do", "weight": 100, "feedback": "Right # really"}


def test_multi_line_titles_and_questions():
    q = [q for q in parsed("all_forms.gift").questions if q.title.startswith("Multi-line")][0]
    assert q.stem == "A question\nover several\nlines."


def test_a_file_with_errors_reports_every_error_with_its_line():
    errors = [(e.line, e.message) for e in parsed("errors.gift").errors]
    lines = [line for line, _ in errors]
    assert lines == [3, 5, 7, 9, 11, 13, 15, 17], errors
    messages = dict(errors)
    assert "no answer is marked right" in messages[3]
    assert "must add up to 100%" in messages[5]
    assert "never closed" in messages[7]
    assert "'%100.5%' is not a weight Moodle can read" in messages[9]
    assert "'lots' is not a number" in messages[11]
    assert "from low to high" in messages[13]
    assert "= always means 100%" in messages[15]
    assert "at least two pairs" in messages[17]


def test_aiken_parses_and_reports_errors():
    result = parse_aiken((DATA / "sample.aiken.txt").read_text(), category="aiken")
    assert result.errors == []
    assert [q.data["choices"][1]["weight"] for q in result.questions] == [100, 100]
    assert result.questions[1].line == 7 and result.questions[0].category == "aiken"
    errors = parse_aiken((DATA / "errors.aiken.txt").read_text()).errors
    assert [(e.line, e.message) for e in errors] == [
        (1, "the question has no ANSWER: line"), (8, "ANSWER D is not one of the choices A, B")]


def test_aiken_letters_past_z_are_one_clear_error_however_long_the_list():
    # Letters were once counted on past Z into punctuation and, far enough, into characters
    # that cannot be written out at all.
    lines = ["How many?"] + [f"{chr(ord('A') + i % 26)}. choice {i}" for i in range(60_000)] + ["ANSWER: A", "",
                                                                                            "Next?", "A. x", "B. y",
                                                                                            "ANSWER: B"]
    result = parse_aiken("\n".join(lines))
    assert [(e.line, e.message) for e in result.errors] == [
        (28, "a question can have at most 26 choices, A to Z; this one goes on past Z")]
    assert [q.stem for q in result.questions] == ["Next?"]
    wrong_letter = parse_aiken("Q?\nA. one\nC. two\nANSWER: A\n")
    assert [(e.line, e.message) for e in wrong_letter.errors] == [(3, "expected choice B, found C")]
    assert parse_aiken("Q?\nA. one\nB. two\nANSWER: AA\n").errors[0].message == (
        "ANSWER AA is not one of the choices A, B")


def _without_lines(result):
    return [{k: v for k, v in q.as_json().items() if k != "line"} for q in result.questions]


def test_export_and_reimport_keeps_every_question():
    first = parsed("all_forms.gift")
    text = to_gift(first.questions)
    second = parse_gift(text)
    assert second.errors == []
    assert _without_lines(second) == _without_lines(first)


def test_the_first_course_bank_round_trips_through_the_database(app, course):
    questions = list(db.session.scalars(db.select(Question).where(Question.course_id == course.id)))
    assert len(questions) >= 8 * 6
    text = to_gift([as_parsed(q) for q in questions])
    again = parse_gift(text)
    assert again.errors == [] and len(again.questions) == len(questions)
    originals = {(q.category, q.title): q for q in questions}
    for parsed_question in again.questions:
        original = originals[(parsed_question.category, parsed_question.title)]
        assert parsed_question.type == original.qtype and parsed_question.data == original.data


def test_importing_the_same_file_twice_updates_instead_of_duplicating(app, course):
    result = parsed("all_forms.gift")
    first = import_questions(course, result, "all_forms.gift")
    db.session.commit()
    count = db.session.scalar(db.select(db.func.count()).select_from(Question))
    second = import_questions(course, parsed("all_forms.gift"), "all_forms.gift")
    db.session.commit()
    lines = (DATA / "all_forms.gift").read_text().splitlines()
    expected = [n for n, text in enumerate(lines, start=1) if text.startswith(("::Essay::", "::Description::"))]
    assert first.created == len(result.delivered) and [line for line, _ in first.skipped] == expected
    assert second.created == 0 and second.unchanged == len(result.delivered)
    assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == count
    changed = (DATA / "all_forms.gift").read_text().replace("Who leads", "Who guides")
    third = import_questions(course, parse_gift(changed), "all_forms.gift")
    db.session.commit()
    assert third.updated == 1 and db.session.scalar(db.select(db.func.count()).select_from(Question)) == count


# --- Command line ------------------------------------------------------------------------

def test_dry_run_json_prints_one_object_per_question(runner):
    result = runner.invoke(args=["questions", "import", str(DATA / "all_forms.gift"), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    start = result.output.index("[")
    items = json.loads(result.output[start:])
    assert len(items) == len(parsed("all_forms.gift").questions)
    types = {item["type"] for item in items}
    assert types == {"single_choice", "multiple_choice", "true_false", "short_answer", "matching",
                     "numerical", "essay", "description"}
    single = next(i for i in items if i["title"] == "Single choice")
    assert set(single) >= {"type", "title", "stem", "line", "explanation", "category", "choices"}
    assert single["choices"][2] == {"text": "Their clinician", "weight": 25,
                                    "feedback": "Partly: clinicians advise."}
    assert next(i for i in items if i["title"] == "True long form")["answer"] is False
    assert next(i for i in items if i["title"] == "Matching")["pairs"][0] == {"item": "Peer support",
                                                                               "match": "Lived experience"}
    assert next(i for i in items if i["title"] == "Numerical range")["answers"][0]["min"] == 4.0
    assert "skipped: essay" in result.output


def test_import_with_errors_exits_non_zero_and_imports_nothing(runner, course):
    before = db.session.scalar(db.select(db.func.count()).select_from(Question))
    result = runner.invoke(args=["questions", "import", str(DATA / "errors.gift"), "--course", course.slug])
    assert result.exit_code != 0
    assert "errors.gift:3: error: no answer is marked right" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == before


def test_importing_a_file_with_no_questions_exits_non_zero_and_says_so(runner, course, tmp_path):
    path = tmp_path / "empty.gift"
    path.write_text("// nothing yet\n\n$CATEGORY: later\n", encoding="utf-8")
    before = db.session.scalar(db.select(db.func.count()).select_from(Question))
    result = runner.invoke(args=["questions", "import", str(path), "--course", course.slug])
    assert result.exit_code != 0 and "empty.gift holds no questions to import; nothing was imported." in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == before


def test_import_needs_a_course_unless_dry_run(runner):
    result = runner.invoke(args=["questions", "import", str(DATA / "all_forms.gift")])
    assert result.exit_code != 0 and "--course is needed" in result.output


def test_import_and_export_commands(runner, course, tmp_path):
    result = runner.invoke(args=["questions", "import", str(DATA / "sample.aiken.txt"), "--course", course.slug,
                                 "--category", "aiken-sample"])
    assert result.exit_code == 0 and "2 created" in result.output
    output = tmp_path / "bank.gift"
    result = runner.invoke(args=["questions", "export", "--course", course.slug, "--output", str(output)])
    assert result.exit_code == 0
    exported = parse_gift(output.read_text(encoding="utf-8"))
    assert exported.errors == []
    assert sum(1 for q in exported.questions if q.category == "aiken-sample") == 2


@pytest.mark.parametrize("name", ["all_forms.gift", "errors.gift"])
def test_dry_run_without_json_summarises(runner, name):
    result = runner.invoke(args=["questions", "import", str(DATA / name), "--dry-run"])
    assert (result.exit_code == 0) == (name == "all_forms.gift")


def test_import_prints_warnings_with_their_lines_and_still_imports(runner, course, tmp_path):
    path = tmp_path / "weights.gift"
    path.write_text("::W:: Pick.{=right ~%85%partly ~wrong}\n\n::T:: Hope can be shared.{true}\n", encoding="utf-8")
    result = runner.invoke(args=["questions", "import", str(path), "--course", course.slug])
    assert result.exit_code == 0, result.output
    assert "weights.gift:1: warning: weight 85% is not one of Moodle's weights; it is read as 83.33333%" in result.output
    assert "weights.gift:3: warning: {true} is read, as Moodle reads it, as a short-answer question" in result.output
    assert "2 created" in result.output
