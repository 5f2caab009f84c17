"""Question banks in Moodle's GIFT and Aiken formats: parse, check and export.

Parsing never touches the database. A file with any error yields the full list of
errors, each with its line number, and the caller imports nothing.
"""
import html
import re
from dataclasses import asdict, dataclass, field

import nh3

from training.rendering import markdown_to_html

ESCAPABLE = "~=#{}:"
# Private-use characters stand in for escaped specials while the structure is parsed.
_PLACEHOLDER = {ch: chr(0xE000 + i) for i, ch in enumerate(ESCAPABLE)}
_RESTORE = {v: k for k, v in _PLACEHOLDER.items()}
FORMATS = ("html", "moodle", "plain", "markdown")
BLANK = "_____"


@dataclass
class ParsedQuestion:
    type: str
    title: str
    stem: str
    line: int
    explanation: str = ""
    category: str = ""
    format: str = "plain"
    choices: list = field(default_factory=list)   # single/multiple choice, short answer
    answer: bool | None = None                    # true/false
    feedback_right: str = ""
    feedback_wrong: str = ""
    pairs: list = field(default_factory=list)      # matching
    distractors: list = field(default_factory=list)
    answers: list = field(default_factory=list)    # numerical

    @property
    def delivered(self):
        return self.type not in ("essay", "description")

    def as_json(self):
        """The public shape of ``questions import --dry-run --json``."""
        result = {"type": self.type, "title": self.title, "stem": self.stem, "line": self.line,
                  "explanation": self.explanation, "category": self.category}
        if self.type in ("single_choice", "multiple_choice", "short_answer"):
            result["choices"] = [{"text": c["text"], "weight": c["weight"], "feedback": c["feedback"]}
                                 for c in self.choices]
        elif self.type == "true_false":
            result["answer"] = self.answer
            result["feedback"] = {"right": self.feedback_right, "wrong": self.feedback_wrong}
        elif self.type == "matching":
            result["pairs"] = [dict(p) for p in self.pairs]
            if self.distractors:
                result["distractors"] = list(self.distractors)
        elif self.type == "numerical":
            result["answers"] = [dict(a) for a in self.answers]
        return result

    def data(self):
        """Type-specific data as the graders expect it."""
        if self.type in ("single_choice", "multiple_choice"):
            return {"choices": [dict(c) for c in self.choices]}
        if self.type == "short_answer":
            return {"answers": [{k: c[k] for k in ("text", "weight", "feedback")} for c in self.choices]}
        if self.type == "true_false":
            return {"answer": self.answer, "feedback_right": self.feedback_right,
                    "feedback_wrong": self.feedback_wrong}
        if self.type == "matching":
            return {"pairs": [dict(p) for p in self.pairs], "distractors": list(self.distractors)}
        if self.type == "numerical":
            return {"answers": [dict(a) for a in self.answers]}
        return {}


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

    @property
    def delivered(self):
        return [q for q in self.questions if q.delivered]

    @property
    def skipped(self):
        return [q for q in self.questions if not q.delivered]


class _QuestionError(Exception):
    def __init__(self, message, line_offset=0):
        super().__init__(message)
        self.message = message
        self.line_offset = line_offset


def _protect(text):
    text = text.replace("\\\\", "\uE0FF")
    for ch, placeholder in _PLACEHOLDER.items():
        text = text.replace("\\" + ch, placeholder)
    return text.replace("\\n", "\n")


def _restore(text):
    for placeholder, ch in _RESTORE.items():
        text = text.replace(placeholder, ch)
    return text.replace("\uE0FF", "\\").strip()


def _blocks(text):
    """Split a GIFT file into (first_line, lines) blocks at blank lines and category lines.

    As in Moodle, a blank line always ends a question, so one unclosed brace is reported
    on its own instead of swallowing the rest of the file.
    """
    block, start = [], 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if not stripped:
            if block:
                yield start, block
            block = []
            continue
        if stripped.startswith("$CATEGORY:"):
            if block:
                yield start, block
            yield number, [stripped]
            block = []
            continue
        if not block:
            start = number
        block.append(line)
    if block:
        yield start, block


def _split_feedback(text):
    """Split 'answer text#feedback' at the first unescaped '#'."""
    if "#" in text:
        answer, feedback = text.split("#", 1)
        return answer, feedback
    return text, ""


def _weight(token):
    match = re.match(r"^%(-?\d+(?:\.\d+)?)%", token)
    if not match:
        return None, token
    weight = float(match.group(1))
    if not -100 <= weight <= 100:
        raise _QuestionError(f"weight {match.group(1)}% must be between -100% and 100%")
    return (int(weight) if weight.is_integer() else weight), token[match.end():]


def _answer_tokens(content):
    tokens = re.split(r"(?=[=~])", content)
    if tokens and tokens[0].strip():
        raise _QuestionError(f"unexpected text '{_restore(tokens[0])[:30]}' before the first answer "
                             "(answers start with = or ~)")
    return [t for t in tokens if t.strip()]


def _parse_number(text):
    text = _restore(text)
    try:
        return float(text)
    except ValueError:
        raise _QuestionError(f"'{text}' is not a number") from None


def _numerical_answer(spec):
    spec = spec.strip()
    if ".." in spec:
        low, high = spec.split("..", 1)
        low, high = _parse_number(low), _parse_number(high)
        if low > high:
            raise _QuestionError("a numerical range must go from low to high")
        return {"min": low, "max": high}
    if ":" in _restore(spec):
        value, tolerance = _restore(spec).split(":", 1)
        tolerance = _parse_number(tolerance)
        if tolerance < 0:
            raise _QuestionError("a tolerance cannot be negative")
        return {"value": _parse_number(value), "tolerance": tolerance}
    return {"value": _parse_number(spec), "tolerance": 0.0}


def _parse_numerical(question, content):
    body = content[1:].strip()
    answers = []
    if body.startswith("="):
        for token in _answer_tokens(body):
            if not token.startswith("="):
                raise _QuestionError("numerical answers start with =")
            weight, rest = _weight(token[1:].strip())
            spec, feedback = _split_feedback(rest)
            answers.append({**_numerical_answer(spec), "weight": 100 if weight is None else weight,
                            "feedback": _restore(feedback)})
    else:
        spec, feedback = _split_feedback(body)
        answers.append({**_numerical_answer(spec), "weight": 100, "feedback": _restore(feedback)})
    if not any(a["weight"] > 0 for a in answers):
        raise _QuestionError("a numerical question needs an answer worth marks")
    question.type, question.answers = "numerical", answers


def _parse_true_false(question, content):
    match = re.fullmatch(r"\s*(TRUE|FALSE|T|F)\s*(.*)", content, flags=re.DOTALL | re.IGNORECASE)
    value, rest = match.group(1).upper(), match.group(2)
    question.type, question.answer = "true_false", value.startswith("T")
    if rest.strip():
        if not rest.startswith("#"):
            raise _QuestionError("after T or F only #feedback may follow")
        parts = rest[1:].split("#", 1)
        # GIFT: the first feedback is shown for a wrong answer, the second for a right one.
        question.feedback_wrong = _restore(parts[0])
        question.feedback_right = _restore(parts[1]) if len(parts) > 1 else ""


def _parse_answers(question, content):
    tokens = _answer_tokens(content)
    markers = {t[0] for t in tokens}
    if markers == {"="} and all("->" in t for t in tokens):
        pairs, distractors = [], []
        for token in tokens:
            item, match = token[1:].split("->", 1)
            item, match = _restore(item), _restore(match)
            if not match:
                raise _QuestionError("each matching pair needs a match after ->")
            (pairs if item else distractors).append({"item": item, "match": match} if item else match)
        if len(pairs) < 2:
            raise _QuestionError("a matching question needs at least two pairs")
        question.type, question.pairs, question.distractors = "matching", pairs, distractors
        return
    if any("->" in t for t in tokens) and markers == {"="}:
        raise _QuestionError("every answer of a matching question needs the form =item -> match")
    choices = []
    for index, token in enumerate(tokens):
        weight, rest = _weight(token[1:].strip())
        text, feedback = _split_feedback(rest)
        if weight is None:
            weight = 100 if token[0] == "=" else 0
        if not _restore(text):
            raise _QuestionError(f"answer {index + 1} has no text")
        choices.append({"id": chr(ord("a") + index) if index < 26 else f"c{index}", "text": _restore(text),
                        "weight": weight, "feedback": _restore(feedback)})
    if markers == {"="}:
        question.type, question.choices = "short_answer", choices
        return
    if len(choices) < 2:
        raise _QuestionError("a multiple-choice question needs at least two choices")
    if "=" in markers:
        question.type = "single_choice"
    else:
        positive = [c for c in choices if c["weight"] > 0]
        if not positive:
            raise _QuestionError("no answer is marked right: use = or a positive %weight%")
        question.type = "multiple_choice"
        if abs(sum(c["weight"] for c in positive) - 100) > 0.5:
            raise _QuestionError("the positive weights of a multiple-answer question must add up to 100%")
    question.choices = choices


def _render_stem(text, fmt):
    if fmt == "html":
        return nh3.clean(text)
    if fmt == "markdown":
        return markdown_to_html(text)
    return html.escape(text)


def _parse_block(lines, start, category):
    text = _protect("\n".join(lines))
    title = ""
    stripped = text.lstrip()
    if stripped.startswith("::"):
        end = stripped.find("::", 2)
        if end < 0:
            raise _QuestionError("the title is not closed with ::")
        title, text = _restore(stripped[2:end]), stripped[end + 2:]
    text = text.lstrip()
    fmt = "moodle"
    format_match = re.match(r"^\[(\w+)\]", text)
    if format_match:
        fmt = format_match.group(1).lower()
        if fmt not in FORMATS:
            raise _QuestionError(f"unknown text format [{fmt}] (use [html], [moodle], [plain] or [markdown])")
        text = text[format_match.end():]
    open_at = text.find("{")
    question = ParsedQuestion(type="description", title=title, stem="", line=start, category=category,
                              format=fmt)
    if open_at < 0:
        if "}" in text:
            raise _QuestionError("a closing } has no opening {")
        question.stem = _restore(text)
        return question
    close_at = text.find("}", open_at)
    if close_at < 0:
        raise _QuestionError("the answer block { is never closed with }", text[:open_at].count("\n"))
    if "{" in text[open_at + 1:close_at] or "{" in text[close_at + 1:] or "}" in text[close_at + 1:]:
        raise _QuestionError("a question can have only one answer block; escape other braces as \\{ \\}",
                             text[:open_at].count("\n"))
    before, content, after = text[:open_at], text[open_at + 1:close_at], text[close_at + 1:]
    stem = _restore(before)
    if _restore(after):
        stem = f"{stem} {BLANK} {_restore(after)}"
    question.stem = stem
    offset = before.count("\n")
    try:
        if "####" in content:
            content, explanation = content.split("####", 1)
            question.explanation = _restore(explanation)
        stripped_content = content.strip()
        if not stripped_content:
            question.type = "essay"
        elif re.fullmatch(r"(TRUE|FALSE|T|F)(\s*#.*)?", stripped_content, flags=re.DOTALL | re.IGNORECASE):
            _parse_true_false(question, stripped_content)
        elif stripped_content.startswith("#"):
            _parse_numerical(question, stripped_content)
        else:
            _parse_answers(question, stripped_content)
    except _QuestionError as error:
        error.line_offset = offset
        raise
    if not question.stem and question.type != "description":
        raise _QuestionError("the question has no text")
    return question


def parse_gift(text, category=""):
    """Parse GIFT text into questions and errors (see ParseResult)."""
    questions, errors = [], []
    text = text.lstrip("\ufeff")
    for start, lines in _blocks(text):
        first = lines[0].strip()
        if first.startswith("$CATEGORY:"):
            category = first.split(":", 1)[1].strip()
            continue
        try:
            questions.append(_parse_block(lines, start, category))
        except _QuestionError as error:
            errors.append(ParseError(start + error.line_offset, error.message))
    return ParseResult(questions, errors)


def stem_html(question):
    return _render_stem(question.stem, question.format)


# --- Export -----------------------------------------------------------------------------

def _escape(text):
    text = str(text).replace("\\", "\\\\")
    for ch in ESCAPABLE:
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def _number(value):
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def _weight_prefix(weight, default):
    return "" if weight == default else f"%{_number(weight)}%"


def _answers_gift(q):
    if q["type"] in ("single_choice", "multiple_choice"):
        parts = []
        for c in q["choices"]:
            marker = "=" if q["type"] == "single_choice" and c["weight"] == 100 else "~"
            prefix = "" if marker == "=" else _weight_prefix(c["weight"], 0)
            feedback = f"#{_escape(c['feedback'])}" if c.get("feedback") else ""
            parts.append(f"{marker}{prefix}{_escape(c['text'])}{feedback}")
        return parts
    if q["type"] == "short_answer":
        return [f"={_weight_prefix(c['weight'], 100)}{_escape(c['text'])}"
                + (f"#{_escape(c['feedback'])}" if c.get("feedback") else "") for c in q["choices"]]
    if q["type"] == "true_false":
        text = "TRUE" if q["answer"] else "FALSE"
        feedback = q.get("feedback") or {}
        if feedback.get("wrong") or feedback.get("right"):
            text += f"#{_escape(feedback.get('wrong', ''))}"
            if feedback.get("right"):
                text += f"#{_escape(feedback['right'])}"
        return [text]
    if q["type"] == "matching":
        return ([f"={_escape(p['item'])} -> {_escape(p['match'])}" for p in q["pairs"]]
                + [f"= -> {_escape(d)}" for d in q.get("distractors", [])])
    if q["type"] == "numerical":
        parts = []
        for a in q["answers"]:
            spec = (f"{_number(a['min'])}..{_number(a['max'])}" if "min" in a
                    else f"{_number(a['value'])}:{_number(a.get('tolerance', 0))}")
            feedback = f"#{_escape(a['feedback'])}" if a.get("feedback") else ""
            parts.append(f"={_weight_prefix(a['weight'], 100)}{spec}{feedback}")
        return ["#"] + parts
    return []


def to_gift(questions):
    """GIFT text for questions given in the JSON shape of ParsedQuestion.as_json()."""
    out, category = [], None
    for q in questions:
        if q.get("category") and q["category"] != category:
            category = q["category"]
            out.append(f"$CATEGORY: {category}\n")
        head = f"::{_escape(q['title'])}::" if q.get("title") else ""
        fmt = f"[{q['format']}]" if q.get("format") and q["format"] != "moodle" else ""
        stem = q["stem"]
        if q["type"] == "description":
            out.append(f"{head}{fmt}{_escape(stem)}\n")
            continue
        before, _, after = stem.partition(f" {BLANK} ") if f" {BLANK} " in stem else (stem, "", "")
        answers = _answers_gift(q)
        explanation = f"\n####{_escape(q['explanation'])}" if q.get("explanation") else ""
        if q["type"] == "essay":
            block = "{" + explanation.replace("\n", "") + "}"
        elif answers and answers[0] == "#":
            block = "{#\n" + "\n".join(answers[1:]) + explanation + "\n}"
        elif q["type"] == "true_false":
            block = "{" + answers[0] + explanation.replace("\n", "") + "}"
        else:
            block = "{\n" + "\n".join(answers) + explanation + "\n}"
        tail = f" {_escape(after)}" if after else ""
        out.append(f"{head}{fmt}{_escape(before)} {block}{tail}\n")
    return "\n".join(out)


# --- Aiken --------------------------------------------------------------------------------

def parse_aiken(text, category=""):
    """Parse Aiken: question lines, 'A. choice' lines, then 'ANSWER: A'."""
    questions, errors = [], []
    stem_lines, choices, start = [], [], None
    letter_re = re.compile(r"^([A-Z])[.)]\s+(.+)$")
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            if choices:  # a blank line after the choices ends the question
                errors.append(ParseError(start, "the question has no ANSWER: line"))
                stem_lines, choices, start = [], [], None
            continue
        if start is None:
            start = number
        answer = re.match(r"^ANSWER:\s*([A-Z])\s*$", line)
        choice = letter_re.match(line)
        if answer:
            letters = [c[0] for c in choices]
            if not stem_lines:
                errors.append(ParseError(number, "ANSWER line without a question"))
            elif len(choices) < 2:
                errors.append(ParseError(start, "a question needs at least two choices (A. ..., B. ...)"))
            elif answer.group(1) not in letters:
                errors.append(ParseError(number, f"ANSWER {answer.group(1)} is not one of the choices "
                                                 f"{', '.join(letters)}"))
            else:
                questions.append(ParsedQuestion(
                    type="single_choice", title="", stem=" ".join(stem_lines), line=start, category=category,
                    format="plain",
                    choices=[{"id": chr(ord("a") + i), "text": text_, "weight": 100 if letter == answer.group(1)
                              else 0, "feedback": ""} for i, (letter, text_) in enumerate(choices)]))
            stem_lines, choices, start = [], [], None
        elif choice and stem_lines:
            expected = chr(ord("A") + len(choices))
            if choice.group(1) != expected:
                errors.append(ParseError(number, f"expected choice {expected}, found {choice.group(1)}"))
            choices.append((choice.group(1), choice.group(2)))
        elif choices:
            errors.append(ParseError(number, "expected another choice or an ANSWER: line"))
        else:
            stem_lines.append(line)
    if stem_lines or choices:
        errors.append(ParseError(start or 1, "the last question has no ANSWER: line"))
    return ParseResult(questions, errors)


def as_dict(question):
    return asdict(question)
