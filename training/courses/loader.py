"""Read course content from ``courses/<slug>/`` and check it before anything is saved.

A course folder holds ``course.yaml`` and ``modules/NN-<slug>.md`` files whose YAML front
matter gives the title, estimated minutes, learning objectives and a reflection prompt.
Every problem is reported with its file and line; one bad file means nothing is loaded.

Content is written in English; a file may have a version in another language beside it
(``course.es.yaml``, ``modules/NN-<slug>.es.md``, ``questions/<name>.es.gift``). A module's
version is matched by its slug and a question file's by the order of its questions, so a
trainee's progress and attempts belong to the one module or question whatever language they
read it in. A version gives only the words (title, summary, objectives, reflection, text,
questions); settings such as minutes, quizzes and grading come from the English file.
"""
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from flask_babel import gettext as _
from flask_babel import ngettext

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MODULE_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
# A translation beside its file: "01-name.es.md", "01-name.es.gift", "course.es.yaml". The
# language versions are read with their file; the course itself is defined by the files without.
TRANSLATION_RE = re.compile(r"\.[a-z]{2}\.(md|gift|yaml|aiken\.txt)$")
TRANSLATED_FILE_RE = re.compile(r"^(?P<base>.+)\.(?P<language>[a-z]{2})\.(?P<ext>md|gift|yaml|aiken\.txt)$")
COURSE_TRANSLATION_KEYS = {"title", "summary"}
MODULE_TRANSLATION_KEYS = {"title", "objectives", "reflection"}

COURSE_KEYS = {"slug", "title", "summary", "order", "prerequisites", "training_hours", "final_exam"}
MODULE_KEYS = {"title", "estimated_minutes", "objectives", "reflection", "written_reflection", "quiz"}
REQUIRED_MODULE_KEYS = MODULE_KEYS - {"quiz", "written_reflection"}
QUIZ_KEYS = {"questions", "categories", "pass_mark", "attempts", "wait_minutes", "time_limit_minutes",
             "grading", "shuffle_questions", "shuffle_choices", "review"}
GRADING = ("highest", "latest", "first", "average")
REVIEW_WHEN = ("immediately", "after_pass", "after_last_attempt")
REVIEW_SHOW = ("score", "correctness", "right_answers", "explanations")


def is_translation(path):
    """Whether a content file is a language version of another (read with it, not on its own)."""
    return bool(TRANSLATION_RE.search(path.name))


def _translations_of(path, root, errors):
    """The language versions beside ``path``: {language: path}; a language the platform does not
    speak is an error."""
    from training.i18n import CONTENT_LANGUAGE, LANGUAGES

    found = {}
    for candidate in sorted(path.parent.iterdir()):
        match = TRANSLATED_FILE_RE.match(candidate.name)
        if not match or f"{match['base']}.{match['ext']}" != path.name:
            continue
        language = match["language"]
        if language not in LANGUAGES or language == CONTENT_LANGUAGE:
            others = ", ".join(sorted(set(LANGUAGES) - {CONTENT_LANGUAGE}))
            errors.append(ContentError(_relative(candidate, root), 1, _(
                "'%(language)s' is not a language content is translated into (use one of: %(languages)s)",
                language=language, languages=others)))
            continue
        found[language] = candidate
    return found


def _orphan_translations(folder, pattern, root, errors):
    """A language version with no English file beside it would never be shown: say so."""
    if not folder.is_dir():
        return
    for candidate in sorted(folder.glob(pattern)):
        match = TRANSLATED_FILE_RE.match(candidate.name)
        original = f"{match['base']}.{match['ext']}" if match else None
        if match and not (folder / original).is_file():
            errors.append(ContentError(_relative(candidate, root), 1, _(
                "a translation of '%(file)s', which does not exist", file=original)))


@dataclass
class ContentError:
    path: str
    line: int
    message: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.message}"


class ContentErrors(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ModuleData:
    slug: str
    position: int
    title: str
    estimated_minutes: int
    objectives: list
    reflection: str
    body: str
    path: str
    quiz: dict | None = None
    reflection_required: bool = False
    translations: dict = field(default_factory=dict)  # language -> {title, objectives, reflection, body, path}


@dataclass
class CourseData:
    slug: str
    title: str
    summary: str
    order: int
    prerequisites: list
    credits: dict  # domain -> minutes
    path: str
    modules: list = field(default_factory=list)
    final_exam: dict | None = None
    question_files: list = field(default_factory=list)  # (path shown, ParseResult)
    translations: dict = field(default_factory=dict)  # language -> {title, summary}
    # language -> {question file shown: (its version's path, [ParsedQuestion, ...] in the file's order)}
    question_translations: dict = field(default_factory=dict)


class _Document:
    """A YAML mapping with the line of each key, for precise error messages."""

    def __init__(self, text, path, first_line, errors):
        self.path = path
        self.errors = errors
        self.data = None
        self.lines = {}
        self.start = first_line
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = first_line + (mark.line if mark else 0)
            problem = getattr(exc, "problem", None) or str(exc)
            self.error(line, _("invalid YAML: %(problem)s", problem=problem))
            return
        if not isinstance(data, dict):
            self.error(first_line, _("expected a mapping of keys to values"))
            return
        self.data = data
        for key_node, _value in node.value:
            self.lines[key_node.value] = first_line + key_node.start_mark.line

    def error(self, line, message):
        self.errors.append(ContentError(self.path, line, message))

    def line(self, key):
        return self.lines.get(key, self.start)

    def check_keys(self, allowed, required):
        for key in self.data:
            if key not in allowed:
                self.error(self.line(key), _("unknown key '%(key)s' (allowed: %(allowed)s)", key=key,
                                             allowed=", ".join(sorted(allowed))))
        for key in required:
            if key not in self.data:
                self.error(self.start, _("missing required key '%(key)s'", key=key))

    def text(self, key, required=True):
        value = self.data.get(key)
        if value is None:
            return "" if not required else None
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(self.line(key), _("'%(key)s' must be non-empty text", key=key))
            return None
        return value.strip()


def _quiz_settings(doc, key, default_categories):
    """Check a ``quiz``/``final_exam`` mapping and fill in the documented defaults."""
    raw = doc.data.get(key)
    if raw is None:
        return None
    line = doc.line(key)
    if not isinstance(raw, dict):
        doc.error(line, _("'%(key)s' must be a mapping of quiz settings", key=key))
        return None
    for name in raw:
        if name not in QUIZ_KEYS:
            doc.error(line, _("unknown %(key)s setting '%(name)s' (allowed: %(allowed)s)", key=key, name=name,
                              allowed=", ".join(sorted(QUIZ_KEYS))))

    def whole(name, default, low, high=None, optional=False):
        value = raw.get(name, default)
        if value is None and optional:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (high and value > high):
            if high:
                doc.error(line, _("%(setting)s must be a whole number from %(low)d to %(high)d",
                                  setting=key + "." + name, low=low, high=high))
            else:
                doc.error(line, _("%(setting)s must be a whole number of at least %(low)d",
                                  setting=key + "." + name, low=low))
            return default
        return value

    def flag(name):
        value = raw.get(name, True)
        if not isinstance(value, bool):
            doc.error(line, _("%(setting)s must be true or false", setting=key + "." + name))
            return True
        return value

    categories = raw.get("categories", default_categories)
    if categories is None:  # a final exam draws from every module unless told otherwise
        categories = {}
    elif isinstance(categories, list) and all(isinstance(c, str) for c in categories):
        categories = {c: 0 for c in categories}
    elif not (isinstance(categories, dict) and all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in categories.items())):
        doc.error(line, _("%(key)s.categories must be a list of categories, or map each to a number of questions",
                          key=key))
        categories = {}
    if not categories and default_categories is not None:
        doc.error(line, _("%(key)s.categories must name at least one question category", key=key))
    grading = raw.get("grading", "highest")
    if grading not in GRADING:
        doc.error(line, _("%(key)s.grading must be one of %(allowed)s", key=key, allowed=", ".join(GRADING)))
    review = raw.get("review") or {}
    if not isinstance(review, dict):
        doc.error(line, _("%(key)s.review must be a mapping with 'when' and 'show'", key=key))
        review = {}
    when = review.get("when", "immediately")
    if when not in REVIEW_WHEN:
        doc.error(line, _("%(key)s.review.when must be one of %(allowed)s", key=key, allowed=", ".join(REVIEW_WHEN)))
    shows = review.get("show", list(REVIEW_SHOW))
    if not isinstance(shows, list) or any(s not in REVIEW_SHOW for s in shows):
        doc.error(line, _("%(key)s.review.show must list some of %(allowed)s", key=key, allowed=", ".join(REVIEW_SHOW)))
        shows = list(REVIEW_SHOW)
    settings = {
        "question_count": whole("questions", 10, 1, 200),
        "categories": categories,
        "pass_mark": whole("pass_mark", 80, 0, 100),
        "attempts_allowed": whole("attempts", 0, 0, 100),
        "wait_minutes": whole("wait_minutes", 0, 0),
        "time_limit_minutes": whole("time_limit_minutes", None, 1, 1440, optional=True),
        "grading": grading,
        "shuffle_questions": flag("shuffle_questions"),
        "shuffle_choices": flag("shuffle_choices"),
        "review_when": when,
        "review_shows": shows,
        "line": line,
    }
    fixed = sum(categories.values()) if isinstance(categories, dict) else 0
    if fixed > settings["question_count"]:
        doc.error(line, ngettext("%(key)s.categories ask for %(num)d questions but the quiz has only %(count)d",
                                 "%(key)s.categories ask for %(num)d questions but the quiz has only %(count)d",
                                 fixed, key=key, count=settings["question_count"]))
    return settings


def _relative(path, root):
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _hours_to_minutes(value):
    try:
        hours = Decimal(str(value))
    except InvalidOperation:
        return None
    if isinstance(value, bool) or hours <= 0 or (hours * 4) % 1 != 0:
        return None
    return int(hours * 60)


def _load_course_yaml(folder, root, errors):
    path = folder / "course.yaml"
    shown = _relative(path, root)
    if not path.is_file():
        errors.append(ContentError(shown, 1, _("missing course.yaml")))
        return None
    doc = _Document(path.read_text(encoding="utf-8"), shown, 1, errors)
    if doc.data is None:
        return None
    doc.check_keys(COURSE_KEYS, {"title", "training_hours"})
    slug = doc.data.get("slug", folder.name)
    if slug != folder.name:
        doc.error(doc.line("slug"), _("slug '%(slug)s' must match the folder name '%(folder)s'", slug=slug,
                                      folder=folder.name))
    title = doc.text("title")
    summary = doc.text("summary", required=False)
    order = doc.data.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        doc.error(doc.line("order"), _("'order' must be a whole number"))
    prerequisites = doc.data.get("prerequisites") or []
    if not isinstance(prerequisites, list) or not all(isinstance(p, str) for p in prerequisites):
        doc.error(doc.line("prerequisites"), _("'prerequisites' must be a list of course slugs"))
        prerequisites = []
    credits = {}
    hours = doc.data.get("training_hours")
    if not isinstance(hours, dict) or not hours:
        doc.error(doc.line("training_hours"), _("'training_hours' must map each domain to hours"))
    else:
        for domain, value in hours.items():
            minutes = _hours_to_minutes(value)
            if not isinstance(domain, str) or not domain.strip():
                doc.error(doc.line("training_hours"), _("domain names must be text"))
            elif minutes is None:
                doc.error(
                    doc.line("training_hours"),
                    _("hours for '%(domain)s' must be a positive number in quarter hours, not %(value)s",
                      domain=domain, value=repr(value)),
                )
            else:
                credits[domain.strip()] = minutes
    if title is None:
        return None
    course = CourseData(slug, title, summary or "", order if isinstance(order, int) else 0,
                        prerequisites, credits, shown)
    course.final_exam = _quiz_settings(doc, "final_exam", None)
    for language, version in _translations_of(path, root, errors).items():
        translated = _Document(version.read_text(encoding="utf-8"), _relative(version, root), 1, errors)
        if translated.data is None:
            continue
        translated.check_keys(COURSE_TRANSLATION_KEYS, {"title"})
        title, summary = translated.text("title"), translated.text("summary", required=False)
        if title is not None:
            course.translations[language] = {"title": title, "summary": summary or ""}
    return course


def _split_front_matter(text, shown, errors):
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        errors.append(ContentError(shown, 1, _("a module must start with '---' and YAML front matter")))
        return None, None, 0
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    errors.append(ContentError(shown, 1, _("front matter is not closed with a '---' line")))
    return None, None, 0


def _load_module(path, root, errors):
    shown = _relative(path, root)
    match = MODULE_FILE_RE.match(path.name)
    if not match:
        errors.append(ContentError(shown, 1, _("module files must be named NN-slug.md, e.g. 01-introduction.md")))
        return None
    front, body, body_line = _split_front_matter(path.read_text(encoding="utf-8"), shown, errors)
    if front is None:
        return None
    doc = _Document(front, shown, 2, errors)
    if doc.data is None:
        return None
    doc.check_keys(MODULE_KEYS, REQUIRED_MODULE_KEYS)
    title = doc.text("title")
    reflection = doc.text("reflection")
    minutes = doc.data.get("estimated_minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 600:
        doc.error(doc.line("estimated_minutes"), _("'estimated_minutes' must be a whole number from 1 to 600"))
    objectives = doc.data.get("objectives")
    if not isinstance(objectives, list) or not objectives or not all(
        isinstance(o, str) and o.strip() for o in objectives
    ):
        doc.error(doc.line("objectives"), _("'objectives' must be a non-empty list of text"))
    written = doc.data.get("written_reflection", False)
    if not isinstance(written, bool):
        doc.error(doc.line("written_reflection"), _("'written_reflection' must be true or false"))
    if not body.strip():
        errors.append(ContentError(shown, body_line, _("the module has no text after its front matter")))
    if None in (title, reflection) or not isinstance(objectives, list):
        return None
    module = ModuleData(
        slug=match.group(2),
        position=int(match.group(1)),
        title=title,
        estimated_minutes=minutes if isinstance(minutes, int) else 0,
        objectives=[str(o).strip() for o in objectives],
        reflection=reflection,
        body=body.strip() + "\n",
        path=shown,
        quiz=_quiz_settings(doc, "quiz", [match.group(2)]),
        reflection_required=written is True,
    )
    for language, version in _translations_of(path, root, errors).items():
        translated = _load_module_translation(version, root, errors)
        if translated is not None:
            if len(translated["objectives"]) != len(module.objectives):
                errors.append(ContentError(translated["path"], 2, ngettext(
                    "the translation lists %(num)d objective; the module has %(count)d",
                    "the translation lists %(num)d objectives; the module has %(count)d",
                    len(translated["objectives"]), count=len(module.objectives))))
            module.translations[language] = translated
    return module


def _load_module_translation(path, root, errors):
    """A module's words in another language: front matter with title, objectives and
    reflection, then the text. Everything else comes from the module itself."""
    shown = _relative(path, root)
    front, body, body_line = _split_front_matter(path.read_text(encoding="utf-8"), shown, errors)
    if front is None:
        return None
    doc = _Document(front, shown, 2, errors)
    if doc.data is None:
        return None
    doc.check_keys(MODULE_TRANSLATION_KEYS, MODULE_TRANSLATION_KEYS)
    title, reflection = doc.text("title"), doc.text("reflection")
    objectives = doc.data.get("objectives")
    if not isinstance(objectives, list) or not objectives or not all(
            isinstance(o, str) and o.strip() for o in objectives):
        doc.error(doc.line("objectives"), _("'objectives' must be a non-empty list of text"))
        return None
    if not body.strip():
        errors.append(ContentError(shown, body_line, _("the translation has no text after its front matter")))
        return None
    if None in (title, reflection):
        return None
    return {"title": title, "objectives": [o.strip() for o in objectives], "reflection": reflection,
            "body": body.strip() + "\n", "path": shown}


def _load_question_files(folder, root, errors, translations=None):
    """Parse ``questions/*.gift`` (GIFT) and ``questions/*.aiken.txt`` (Aiken) of a course.

    Language versions beside a file are parsed too and stored in ``translations``
    ({language: {file shown: [question, ...]}}), each question matched to the English file's
    question in the same place.
    """
    from training.quizzes.formats import parse_aiken, parse_gift

    files = []
    question_dir = folder / "questions"
    if not question_dir.is_dir():
        return files
    for path in sorted(question_dir.iterdir()):
        if is_translation(path):
            continue
        if path.name.endswith(".gift"):
            parser = parse_gift
        elif path.name.endswith(".aiken.txt"):
            parser = parse_aiken
        else:
            continue
        shown = _relative(path, root)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            errors.append(ContentError(shown, 1, _("the file is not UTF-8 text")))
            continue
        category = path.name.split(".")[0].split("-", 1)[-1]
        result = parser(text, category=category)
        errors.extend(ContentError(shown, e.line, e.message) for e in result.errors)
        files.append((shown, result))
        for language, version in _translations_of(path, root, errors).items():
            matched = _load_question_translation(version, root, parser, category, result, errors)
            if matched is not None and translations is not None:
                translations.setdefault(language, {})[shown] = (_relative(version, root), matched)
    _orphan_translations(question_dir, "*.*.*", root, errors)
    return files


def grading_shape(value):
    """What grading reads in a question's data, without its words: numbers, true/false answers,
    weights and how many choices, pairs or answers there are, in order."""
    if isinstance(value, dict):
        return {key: grading_shape(item) for key, item in sorted(value.items()) if not isinstance(item, str)}
    if isinstance(value, list):
        return [grading_shape(item) for item in value]
    return "" if isinstance(value, str) else value


def _load_question_translation(path, root, parser, category, original, errors):
    """The questions of a language version, in the order of the original's; None when they do not
    match it question for question (same types, same answers' weights and numbers)."""
    shown = _relative(path, root)
    try:
        result = parser(path.read_text(encoding="utf-8"), category=category)
    except UnicodeDecodeError:
        errors.append(ContentError(shown, 1, _("the file is not UTF-8 text")))
        return None
    errors.extend(ContentError(shown, e.line, e.message) for e in result.errors)
    if result.errors:
        return None
    mine, theirs = result.delivered, original.delivered
    if len(mine) != len(theirs):
        errors.append(ContentError(shown, 1, ngettext(
            "the translation has %(num)d question; the file it translates has %(count)d: questions are matched "
            "by their order",
            "the translation has %(num)d questions; the file it translates has %(count)d: questions are matched "
            "by their order", len(mine), count=len(theirs))))
        return None
    problems = len(errors)
    for translated, source in zip(mine, theirs, strict=True):
        if translated.type != source.type or translated.category != source.category:
            errors.append(ContentError(shown, translated.line, _(
                "this question is a %(type)s in category '%(category)s'; the question in the same place of the "
                "original (line %(line)d) is a %(original_type)s in '%(original_category)s'",
                type=translated.type, category=translated.category, line=source.line, original_type=source.type,
                original_category=source.category)))
        elif grading_shape(translated.data) != grading_shape(source.data):
            errors.append(ContentError(shown, translated.line, _(
                "this question's answers are not graded like the original's (line %(line)d): keep the same answers "
                "in the same order, with the same weights and numbers", line=source.line)))
    return mine if len(errors) == problems else None


def _check_quiz_banks(course, errors):
    """Every quiz must be able to draw its questions from the course's own files."""
    available = {}
    for _path, result in course.question_files:
        for question in result.delivered:
            available[question.category] = available.get(question.category, 0) + 1
    quizzes = [(m.path, m.quiz) for m in course.modules if m.quiz]
    if course.final_exam:
        if not course.final_exam["categories"]:
            course.final_exam["categories"] = {m.slug: 0 for m in course.modules}
        quizzes.append((course.path, course.final_exam))
    for path, quiz in quizzes:
        for category, wanted in quiz["categories"].items():
            have = available.get(category, 0)
            if have == 0 or have < wanted:
                errors.append(ContentError(path, quiz["line"], ngettext(
                    "question category '%(category)s' has %(num)d question in the course's questions/ files; "
                    "the quiz needs %(needed)d",
                    "question category '%(category)s' has %(num)d questions in the course's questions/ files; "
                    "the quiz needs %(needed)d", have, category=category, needed=max(wanted, 1))))
        total = sum(available.get(c, 0) for c in quiz["categories"])
        if total < quiz["question_count"]:
            errors.append(ContentError(path, quiz["line"], _(
                "the quiz draws %(count)d questions but its categories hold only %(total)d",
                count=quiz["question_count"], total=total)))


def _check_prerequisites(courses, errors):
    by_slug = {c.slug: c for c in courses}
    for course in courses:
        for slug in course.prerequisites:
            if slug == course.slug:
                errors.append(ContentError(course.path, 1, _("a course cannot be its own prerequisite")))
            elif slug not in by_slug:
                errors.append(ContentError(course.path, 1, _("unknown prerequisite course '%(slug)s'", slug=slug)))
    # A cycle would lock every course in it forever.
    state = {}

    def visit(slug, trail):
        if state.get(slug) == "done" or slug not in by_slug:
            return
        if state.get(slug) == "visiting":
            errors.append(ContentError(by_slug[slug].path, 1, _("prerequisites form a cycle: %(cycle)s",
                                                                 cycle=" -> ".join(trail + [slug]))))
            return
        state[slug] = "visiting"
        for prerequisite in by_slug[slug].prerequisites:
            visit(prerequisite, trail + [slug])
        state[slug] = "done"

    for course in courses:
        visit(course.slug, [])


# The courses last read without problems, by folder: (the files' names, sizes and times, courses).
_loaded = {}
_loaded_lock = threading.Lock()


def _fingerprint(root):
    return tuple(sorted((str(path), stat.st_size, stat.st_mtime_ns) for path in root.rglob("*")
                        if path.is_file() and (stat := path.stat())))


def load_courses(root):
    """Read and check every course under ``root``; raise ContentErrors listing every problem.

    Unchanged files are not read again: a folder whose files all have the same names, sizes and
    modification times as at the last reading without problems gives the same courses.
    """
    root = Path(root).resolve()
    fingerprint = _fingerprint(root) if root.is_dir() else None
    with _loaded_lock:
        kept = _loaded.get(root)
    if kept is not None and kept[0] == fingerprint:
        return kept[1]
    courses = _read_courses(root)
    with _loaded_lock:
        _loaded[root] = (fingerprint, courses)
    return courses


def _read_courses(root):
    """Every course under ``root`` read from its files, checked."""
    errors = []
    courses = []
    if not root.is_dir():
        raise ContentErrors([ContentError(str(root), 1, _("course folder not found"))])
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not SLUG_RE.match(folder.name):
            errors.append(ContentError(_relative(folder, root), 1,
                                       _("course folder names must be lowercase-hyphenated slugs")))
            continue
        course = _load_course_yaml(folder, root, errors)
        module_dir = folder / "modules"
        files = sorted(f for f in module_dir.glob("*.md") if not is_translation(f)) if module_dir.is_dir() else []
        _orphan_translations(module_dir, "*.*.md", root, errors)
        if not files:
            errors.append(ContentError(_relative(module_dir, root), 1, _("a course needs at least one module")))
        modules = [m for m in (_load_module(f, root, errors) for f in files) if m]
        seen_positions, seen_slugs = {}, {}
        for module in modules:
            for seen, key, message in (
                    (seen_positions, module.position, _("module number '%(key)s' is also used by %(path)s")),
                    (seen_slugs, module.slug, _("module slug '%(key)s' is also used by %(path)s"))):
                if key in seen:
                    errors.append(ContentError(module.path, 1, message % {"key": key, "path": seen[key]}))
                seen[key] = module.path
        if course:
            course.modules = modules
            course.question_files = _load_question_files(folder, root, errors, course.question_translations)
            _check_quiz_banks(course, errors)
            courses.append(course)
    _check_prerequisites(courses, errors)
    if errors:
        raise ContentErrors(errors)
    return courses
