"""Course content as data: the loader, `courses sync`, and the first course itself."""
import re
import shutil
from pathlib import Path

import pytest

from training.courses.loader import ContentErrors, load_courses
from training.courses.models import Course, Module, ModuleCompletion
from training.courses.services import complete_module, sync_courses
from training.extensions import db

from .conftest import COURSES_DIR

SLUG = "foundations-of-peer-recovery-support"
MODULE = """---
title: {title}
estimated_minutes: 30
objectives:
  - Explain something
reflection: Think about it.
---
## A heading

Some text for the module.
"""


def write_course(root, slug="sample-course", modules=("01-first", "02-second"), yaml_text=None):
    folder = root / slug
    (folder / "modules").mkdir(parents=True)
    (folder / "course.yaml").write_text(yaml_text or (
        f"slug: {slug}\ntitle: Sample course\nsummary: A sample.\norder: 2\n"
        "training_hours:\n  Advocacy: 1.5\n  Ethical Responsibility: 0.25\n"
    ))
    for name in modules:
        (folder / "modules" / f"{name}.md").write_text(MODULE.format(title=name.split("-", 1)[1].title()))
    return folder


def errors_for(root):
    with pytest.raises(ContentErrors) as caught:
        load_courses(root)
    return [str(e) for e in caught.value.errors]


def test_a_well_formed_course_loads_with_hours_in_minutes(tmp_path):
    write_course(tmp_path)
    (course,) = load_courses(tmp_path)
    assert course.credits == {"Advocacy": 90, "Ethical Responsibility": 15}
    assert [m.slug for m in course.modules] == ["first", "second"]
    assert course.modules[0].objectives == ["Explain something"]


@pytest.mark.parametrize("broken, expected", [
    ("title: T\ntraining_hours: {A: 1}\nsummary: x: y\n", "course.yaml:3: invalid YAML"),
    ("title: T\ntraining_hours:\n  Advocacy: -2\n", "course.yaml:2: hours for 'Advocacy' must be a positive number"),
    ("title: T\ntraining_hours:\n  Advocacy: 0.3\n", "in quarter hours"),
    ("title: T\ntraning_hours: {A: 1}\n", "course.yaml:2: unknown key 'traning_hours'"),
    ("summary: no title\ntraining_hours: {A: 1}\n", "missing required key 'title'"),
    ("slug: other\ntitle: T\ntraining_hours: {A: 1}\n", "course.yaml:1: slug 'other' must match the folder name"),
    ("title: T\ntraining_hours: {A: 1}\nprerequisites: [missing-course]\n", "unknown prerequisite course"),
    ("- just\n- a list\n", "expected a mapping"),
])
def test_a_malformed_course_file_is_reported_with_path_and_line(tmp_path, broken, expected):
    write_course(tmp_path, yaml_text=broken)
    errors = errors_for(tmp_path)
    assert any(expected in e for e in errors), errors
    assert all("/sample-course/course.yaml:" in e for e in errors)


@pytest.mark.parametrize("text, expected", [
    ("no front matter\n", ":1: a module must start with '---'"),
    ("---\ntitle: T\n", ":1: front matter is not closed"),
    ("---\ntitle: T\nestimated_minutes: 20\nobjectives: [x]\nreflection: r\n---\n", ":7: the module has no text"),
    ("---\ntitle: T\nestimated_minutes: lots\nobjectives: [x]\nreflection: r\n---\nBody\n",
     ":3: 'estimated_minutes' must be a whole number"),
    ("---\ntitle: T\nestimated_minutes: 20\nobjectives: []\nreflection: r\n---\nBody\n",
     ":4: 'objectives' must be a non-empty list"),
    ("---\ntitle: T\nestimated_minutes: 20\nobjectives: [x]\n---\nBody\n", "missing required key 'reflection'"),
    ("---\ntitle: T\n  bad: indent\n---\nBody\n", ":3: invalid YAML"),
])
def test_a_malformed_module_is_reported_with_path_and_line(tmp_path, text, expected):
    folder = write_course(tmp_path)
    (folder / "modules" / "03-broken.md").write_text(text)
    errors = errors_for(tmp_path)
    assert any("/sample-course/modules/03-broken.md" in e and expected in e for e in errors), errors


def test_language_versions_beside_a_file_are_not_read_as_modules_of_their_own(tmp_path):
    folder = write_course(tmp_path)
    (folder / "modules" / "01-first.es.md").write_text(
        "---\ntitle: Primero\nobjectives:\n  - Explicar algo\nreflection: Piénselo.\n---\nTexto.\n")
    (course,) = load_courses(tmp_path)
    assert [m.slug for m in course.modules] == ["first", "second"]
    assert course.modules[0].translations["es"]["title"] == "Primero"
    assert course.question_files == []


def test_badly_named_and_duplicate_module_files_are_reported(tmp_path):
    folder = write_course(tmp_path, modules=("01-first", "01-again", "02-first"))
    (folder / "modules" / "intro.md").write_text(MODULE.format(title="x"))
    text = "\n".join(errors_for(tmp_path))
    assert "intro.md:1: module files must be named NN-slug.md" in text
    assert "module number '1' is also used by" in text
    assert "module slug 'first' is also used by" in text


def test_prerequisite_cycles_are_reported(tmp_path):
    write_course(tmp_path, "course-a", yaml_text="title: A\ntraining_hours: {X: 1}\nprerequisites: [course-b]\n")
    write_course(tmp_path, "course-b", yaml_text="title: B\ntraining_hours: {X: 1}\nprerequisites: [course-a]\n")
    assert any("prerequisites form a cycle" in e for e in errors_for(tmp_path))


def test_sync_is_idempotent(app, tmp_path):
    write_course(tmp_path)
    first = sync_courses(tmp_path)
    second = sync_courses(tmp_path)
    assert len(first.created) == 3 and not second.changed and second.unchanged == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Module)) == 2


def test_a_malformed_file_changes_nothing_in_the_database(app, tmp_path):
    folder = write_course(tmp_path)
    sync_courses(tmp_path)
    (folder / "modules" / "01-first.md").write_text(MODULE.format(title="Renamed"))
    (folder / "modules" / "02-second.md").write_text("broken")
    with pytest.raises(ContentErrors):
        sync_courses(tmp_path)
    titles = set(db.session.scalars(db.select(Module.title)))
    assert titles == {"First", "Second"}


def test_the_sync_command_prints_every_error_and_exits_non_zero(app, runner, tmp_path):
    folder = write_course(tmp_path)
    (folder / "modules" / "02-second.md").write_text("broken")
    (folder / "course.yaml").write_text("title: T\ntraining_hours: {A: -1}\n")
    result = runner.invoke(args=["courses", "sync", "--path", str(tmp_path)])
    assert result.exit_code != 0
    assert "sample-course/modules/02-second.md:1:" in result.output
    assert "sample-course/course.yaml:2:" in result.output
    assert "nothing was changed" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Course)) == 0


def test_editing_and_renumbering_content_keeps_progress(app, tmp_path, make_user):
    folder = write_course(tmp_path)
    sync_courses(tmp_path)
    trainee = make_user("t@example.org")
    first = db.session.scalar(db.select(Module).where(Module.slug == "first"))
    complete_module(trainee, first)
    modules = folder / "modules"
    (modules / "01-first.md").rename(modules / "05-first.md")
    (modules / "05-first.md").write_text(MODULE.format(title="First, revised"))
    (modules / "03-extra.md").write_text(MODULE.format(title="Extra"))
    report = sync_courses(tmp_path)
    assert report.changed
    module = db.session.scalar(db.select(Module).where(Module.slug == "first"))
    assert module.id == first.id and module.title == "First, revised" and module.position == 5
    assert db.session.scalar(db.select(ModuleCompletion).where(ModuleCompletion.user_id == trainee.id))


def test_a_module_removed_from_disk_is_hidden_not_deleted(app, tmp_path, make_user):
    folder = write_course(tmp_path)
    sync_courses(tmp_path)
    (folder / "modules" / "02-second.md").unlink()
    report = sync_courses(tmp_path)
    assert [p.split("/", 1)[1] for p in report.hidden] == ["sample-course/modules/02-second.md"]
    second = db.session.scalar(db.select(Module).where(Module.slug == "second"))
    assert second is not None and not second.active


def test_raw_html_in_content_is_never_rendered(app, tmp_path):
    folder = write_course(tmp_path)
    (folder / "modules" / "01-first.md").write_text(
        MODULE.format(title="First") + '\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n'
        '<img src=x onerror=alert(1)>\n')
    sync_courses(tmp_path)
    html = db.session.scalar(db.select(Module.body_html).where(Module.slug == "first"))
    assert "<script" not in html and "onerror" not in html.replace("&lt;", "") or "&lt;img" in html
    assert "javascript:" not in html.replace("[click](javascript:alert(1))", "")
    assert "<h2>A heading</h2>" in html


# --- The first course -------------------------------------------------------------------

def _first_course():
    (course,) = [c for c in load_courses(COURSES_DIR) if c.slug == SLUG]
    return course


def test_first_course_has_at_least_seven_modules_of_500_to_1200_words():
    course = _first_course()
    assert course.title == "Foundations of Peer Recovery Support"
    assert len(course.modules) >= 7
    for module in course.modules:
        words = len(re.findall(r"[A-Za-z0-9’'-]+", module.body))
        assert 500 <= words <= 1200, f"{module.path}: {words} words"
        assert len(module.objectives) >= 3, module.path
        assert len(module.reflection) > 40, module.path


def test_first_course_credits_hours_in_the_four_standard_domains():
    credits = _first_course().credits
    assert set(credits) == {"Advocacy", "Mentoring/Education", "Recovery/Wellness Support",
                            "Ethical Responsibility"}
    course = _first_course()
    study_minutes = sum(m.estimated_minutes for m in course.modules)
    # Credited time should be close to the time the course takes, reflection included.
    assert study_minutes <= sum(credits.values()) <= study_minutes * 1.5


@pytest.mark.parametrize("topic", [
    r"not (?:a form of )?therapy|is not therapy|not counsel", r"detox", r"famil",
    r"empathy", r"belonging", r"hope", r"mutual[- ]help", r"recovery coach", r"online",
    r"accountab", r"coping", r"collaborat", r"ground rules", r"safe space", r"medication",
    r"exercise", r"family therapy", r"supervision", r"self-care", r"burnout", r"stigma",
])
def test_first_course_covers_each_required_topic(topic):
    text = " ".join(m.body + m.title for m in _first_course().modules).lower()
    assert re.search(topic, text), topic


def test_first_course_copies_no_sentence_from_the_source_material():
    seeds = Path(COURSES_DIR).parent.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("source material not beside the repository")

    def words(text):
        return re.findall(r"[a-z0-9]+", text.lower())

    source = set()
    for path in seeds.glob("*.txt"):
        w = words(path.read_text(encoding="utf-8", errors="replace"))
        source.update(tuple(w[i:i + 10]) for i in range(len(w) - 9))
    for module in _first_course().modules:
        w = words(module.body)
        copied = [" ".join(w[i:i + 10]) for i in range(len(w) - 9) if tuple(w[i:i + 10]) in source]
        assert not copied, f"{module.path} repeats the source: {copied[:3]}"


def test_the_repository_courses_load_and_sync(app, tmp_path):
    shutil.copytree(COURSES_DIR, tmp_path / "courses")
    report = sync_courses(tmp_path / "courses")
    course = db.session.scalar(db.select(Course).where(Course.slug == SLUG))
    assert course is not None and len(course.active_modules) >= 7
    assert not report.hidden


def test_a_course_keeps_its_training_hours_in_the_files_order_when_synced_again(app, tmp_path):
    folder = write_course(tmp_path)
    sync_courses(tmp_path)
    (folder / "course.yaml").write_text(
        "slug: sample-course\ntitle: Sample course\nsummary: A sample.\norder: 2\n"
        "training_hours:\n  Advocacy: 1.5\n  Mentoring/Education: 2\n  Ethical Responsibility: 0.25\n")
    sync_courses(tmp_path)
    course = db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))
    db.session.expire(course)
    assert [(c.domain, c.minutes) for c in course.credits] == [
        ("Advocacy", 90), ("Mentoring/Education", 120), ("Ethical Responsibility", 15)]
