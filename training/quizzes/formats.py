"""Question banks in Moodle's GIFT and Aiken formats: read, check and write.

GIFT is read as Moodle's own reader reads it (``question/format/gift/format.php``): the
same escapes, formats, type recognition, feedback and weights. Where Moodle would store
something other than what the author plainly meant (a weight off its list, ``{true}``
in lower case), the file still imports as Moodle reads it, with a warning; where Moodle
would store a broken question, the file is refused with the reason.

Reading never touches the database. A file with any error yields the full list of errors,
each with its line number, and the caller imports nothing.
"""
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from training.quizzes import gift
from training.quizzes.gift import GiftError
from training.quizzes.text import plain, render
from training.quizzes.types import QUESTION_TYPES, gift_type

BLANK = "_____"
TITLE_LENGTH = 255
CATEGORY_LENGTH = 200


@dataclass
class ParsedQuestion:
    type: str
    title: str
    stem: str
    line: int
    explanation: str = ""
    category: str = ""
    format: str = "moodle"
    data: dict = field(default_factory=dict)  # as stored with the question (see types.py)

    @property
    def qtype(self):
        return QUESTION_TYPES[self.type]

    @property
    def delivered(self):
        return self.qtype.delivered

    @property
    def text(self):
        """The question text as a reader sees it, without markup, for previews."""
        return plain(render(self.stem, self.format))

    def as_json(self):
        """The public shape of ``questions import --dry-run --json``."""
        return {"type": self.type, "title": self.title, "stem": self.stem, "line": self.line,
                "explanation": self.explanation, "category": self.category, "format": self.format,
                **self.qtype.as_json(self.data)}


@dataclass
class ParseError:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass
class ParseResult:
    questions: list
    errors: list
    warnings: list = field(default_factory=list)

    @property
    def delivered(self):
        return [q for q in self.questions if q.delivered]

    @property
    def skipped(self):
        return [q for q in self.questions if not q.delivered]

    @property
    def categories(self):
        """The categories of the questions that will be imported, in file order."""
        return list(dict.fromkeys(q.category for q in self.delivered))


# --- GIFT ---------------------------------------------------------------------------------------

def _blocks(text):
    """Split a GIFT file into (first_line, lines) blocks at blank lines and category lines.

    As in Moodle, a blank line always ends a question, so one unclosed brace is reported
    on its own instead of swallowing the rest of the file; lines are trimmed, and comment
    lines (``//``) are left out.
    """
    block, start = [], 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("//"):
            continue
        if not line:
            if block:
                yield start, block
            block = []
            continue
        if line.startswith("$CATEGORY:"):
            if block:
                yield start, block
            yield number, [line]
            block = []
            continue
        if not block:
            start = number
        block.append(line)
    if block:
        yield start, block


def _split_off_answers(text):
    """(question text with the answer block removed or blanked, answer block, lines before it)."""
    open_at, close_at = text.find("{"), text.find("}")
    if open_at < 0 and close_at < 0:
        return text, None, 0
    before = text[:open_at].count("\n") if open_at >= 0 else 0
    if close_at < 0:
        raise GiftError(_("the answer block { is never closed with }"), before)
    if open_at < 0 or close_at < open_at:
        raise GiftError(_("a closing } has no opening {"), text[:close_at].count("\n"))
    if "{" in text[open_at + 1:close_at] or "{" in text[close_at + 1:] or "}" in text[close_at + 1:]:
        raise GiftError(_("a question can have only one answer block; escape other braces as \\{ \\}"), before)
    answers = text[open_at + 1:close_at].strip()
    # As Moodle: answers at the very end are removed; answers inside the text leave a blank.
    rest = "" if text.endswith("}") else BLANK + text[close_at + 1:]
    return text[:open_at] + rest, answers, before


def _parse_block(lines, start, category, warnings):
    text = gift.protect("\n".join(lines)).strip()
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            warnings.append(_("the title is not closed with ::, so the question has no title"))
            text = text[2:].strip()
        else:
            title, text = gift.restore(text[2:end]), text[end + 2:].strip()
            if len(title) > TITLE_LENGTH:
                warnings.append(_("the title is cut to its first %(n)d characters", n=TITLE_LENGTH))
                title = title[:TITLE_LENGTH].strip()
    question_text, answers, offset = _split_off_answers(text)
    stem, fmt = gift.text_with_format(question_text, "moodle")
    question = ParsedQuestion(type="description", title=title, stem=stem, line=start, category=category,
                              format=fmt, data={"format": fmt})
    if answers is None:
        _image_warnings(question, warnings)
        return question
    try:
        general = answers.rfind("####")
        if general >= 0:
            question.explanation, explanation_format = gift.text_with_format(answers[general + 4:], fmt)
            if explanation_format != fmt:
                question.data["explanation_format"] = explanation_format
            answers = answers[:general].strip()
        qtype = gift_type(answers)
        question.type = qtype.name
        question.data.update(qtype.parse_gift(answers, fmt, warnings))
    except GiftError as error:
        error.line_offset = offset
        raise
    if not question.stem:
        raise GiftError(_("the question has no text"))
    _image_warnings(question, warnings)
    return question


# Moodle's export starts a category with the context it belongs to ("$course$/", "$system$/") and,
# since Moodle 3.5, its root category ("top/"): they name no category of a course here.
MOODLE_CONTEXTS = ("course", "coursecategory", "system", "module", "cat")
MOODLE_CONTEXT = re.compile(rf"^\$(?:{'|'.join(MOODLE_CONTEXTS)})\$/(?:top/(?=.))?")


def category_name(text):
    """A ``$CATEGORY`` line's category as it is stored: without Moodle's context prefix."""
    return MOODLE_CONTEXT.sub("", text.strip()).strip()


def parse_gift(text, category=""):
    """Parse GIFT text into questions, errors and warnings (see ParseResult)."""
    result = ParseResult([], [])
    text = text.lstrip("\ufeff")
    for start, lines in _blocks(text):
        first = lines[0]
        if first.startswith("$CATEGORY:"):
            category = category_name(first.split(":", 1)[1])
            if len(category) > CATEGORY_LENGTH:
                result.errors.append(ParseError(start, _("a category name can be at most %(n)d characters long",
                                                         n=CATEGORY_LENGTH)))
            continue
        warnings = []
        try:
            result.questions.append(_parse_block(lines, start, category[:CATEGORY_LENGTH], warnings))
        except GiftError as error:
            result.errors.append(ParseError(start + error.line_offset, error.message))
        result.warnings += [ParseError(start, message) for message in warnings]
    return result


def stem_html(question, dropped=None):
    """The question text as safe HTML; addresses of images left out go to ``dropped``."""
    return str(render(question.stem, question.format, dropped))


def _image_warnings(question, warnings):
    """Images from other sites are left out of the question text: say so."""
    dropped = []
    stem_html(question, dropped)
    for address in dropped:
        warnings.append(_("the image %(address)s is on another site, so it is left out of the question "
                          "(trainees' browsers would otherwise fetch it from there)", address=address[:80]))


# --- Writing GIFT -----------------------------------------------------------------------------------

def _write_text(text, fmt, default="moodle"):
    """Text with its [format] prefix when needed (also when the text itself starts like one)."""
    needs_prefix = fmt != default or re.match(r"\[(html|moodle|plain|markdown)\]", text or "")
    return (f"[{fmt}]" if needs_prefix else "") + gift.escape(text or "")


def to_gift(questions):
    """GIFT text, as Moodle writes it, for questions with ``type``, ``title``, ``stem``, ``format``,
    ``category``, ``explanation`` and ``data`` (parsed questions or records of stored ones).
    """
    out, category = [], None
    for q in questions:
        if q.category and q.category != category:
            category = q.category
            out.append(f"$CATEGORY: {category}\n")
        fmt = q.format or "moodle"
        head = f"::{gift.escape(q.title)}::" if q.title else ""
        text = head + _write_text(q.stem, fmt)
        qtype = QUESTION_TYPES[q.type]
        if not qtype.has_answers:
            out.append(text + "\n")
            continue
        answers = qtype.gift_answers(q.data)
        explanation = ""
        if q.explanation:
            explanation = "####" + _write_text(q.explanation, q.data.get("explanation_format", fmt), fmt)
        if "\n" in answers:
            block = "{" + ("" if answers.startswith("#") else "\n") + answers + "\n" \
                    + (f"\t{explanation}\n" if explanation else "") + "}"
        else:
            block = "{" + answers + explanation + "}"
        out.append(text + block + "\n")
    return "\n".join(out)


# --- Aiken ----------------------------------------------------------------------------------------

AIKEN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_aiken(text, category=""):
    """Parse Aiken: question lines, 'A. choice' lines (A to Z), then 'ANSWER: A'."""
    result = ParseResult([], [])
    stem_lines, choices, start, broken = [], [], None, False
    choice_re = re.compile(r"^([A-Z])[.)]\s+(.+)$")

    def reset():
        return [], [], None, False

    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            if choices or broken:  # a blank line after the choices ends the question
                if not broken:
                    result.errors.append(ParseError(start, _("the question has no ANSWER: line")))
                stem_lines, choices, start, broken = reset()
            continue
        if start is None:
            start = number
        answer = re.match(r"^ANSWER:\s*(\S+)\s*$", line)
        choice = choice_re.match(line)
        if answer:
            letters = [c[0] for c in choices]
            if not stem_lines:
                result.errors.append(ParseError(number, _("ANSWER line without a question")))
            elif broken:
                pass  # already reported
            elif len(choices) < 2:
                result.errors.append(ParseError(start, _("a question needs at least two choices (A. ..., B. ...)")))
            elif answer.group(1) not in letters:
                result.errors.append(ParseError(number, _("ANSWER %(letter)s is not one of the choices %(letters)s",
                                                          letter=answer.group(1)[:5], letters=", ".join(letters))))
            else:
                data = {"format": "plain", "choices": [
                    {"id": letter.lower(), "text": text_, "weight": 100 if letter == answer.group(1) else 0,
                     "feedback": ""} for letter, text_ in choices]}
                result.questions.append(ParsedQuestion(
                    type="single_choice", title="", stem=" ".join(stem_lines), line=start, category=category,
                    format="plain", data=data))
            stem_lines, choices, start, broken = reset()
        elif (choice or re.match(r"^[A-Z]{2,}[.)]\s", line)) and stem_lines:
            if broken:
                continue
            if len(choices) == len(AIKEN_LETTERS):
                result.errors.append(ParseError(number, _(
                    "a question can have at most 26 choices, A to Z; this one goes on past Z")))
                broken = True
                continue
            expected = AIKEN_LETTERS[len(choices)]
            found = choice.group(1) if choice else line.split(".")[0].split(")")[0][:5]
            if found != expected:
                result.errors.append(ParseError(number, _("expected choice %(expected)s, found %(found)s",
                                                          expected=expected, found=found)))
                broken = True
                continue
            choices.append((choice.group(1), choice.group(2)))
        elif choices and not broken:
            result.errors.append(ParseError(number, _("expected another choice or an ANSWER: line")))
            broken = True
        elif not choices:
            stem_lines.append(line)
    if stem_lines or choices:
        result.errors.append(ParseError(start or 1, _("the last question has no ANSWER: line")))
    return result
