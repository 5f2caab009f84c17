"""Pieces the question types grade with: the result of grading, and pure matchers.

Nothing here touches the database or changes its arguments.
"""
import math
import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Grade:
    score: float  # 0.0 to 1.0 of the question's marks
    feedback: list = field(default_factory=list)  # feedback that applies to the response, as HTML
    answered: bool = True

    @property
    def is_correct(self):
        return self.score >= 0.999

    @property
    def is_partial(self):
        return 0 < self.score < 0.999


def clamp(value):
    return max(0.0, min(1.0, value))


# --- Short answers: '*' stands for any run of characters ------------------------------------

def normalise(text):
    """Compare answers as Moodle does (Unicode NFC, no case), and also ignore spacing."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def wildcard_parts(pattern):
    """Split a short-answer pattern at each '*'; as in Moodle, '\\*' is a literal star."""
    parts = re.split(r"(?<!\\)\*+", pattern)
    return [part.replace("\\*", "*") for part in parts]


class StepCounter:
    """Counts the character comparisons a matcher makes, to show that it stays linear."""

    def __init__(self):
        self.steps = 0


def _find(text, needle, start, end, counter):
    """First index >= start where ``needle`` occurs within text[:end], or -1 (Knuth-Morris-Pratt).

    Each character of the text and of the needle is visited a bounded number of times,
    so the work is linear whatever the input.
    """
    fallback = [0] * len(needle)
    k = 0
    for i in range(1, len(needle)):
        while k and needle[i] != needle[k]:
            k = fallback[k - 1]
            counter.steps += 1
        if needle[i] == needle[k]:
            k += 1
        fallback[i] = k
        counter.steps += 1
    k = 0
    for i in range(start, end):
        while k and text[i] != needle[k]:
            k = fallback[k - 1]
            counter.steps += 1
        counter.steps += 1
        if text[i] == needle[k]:
            k += 1
            if k == len(needle):
                return i - k + 1
    return -1


def wildcard_match(pattern, text, counter=None):
    """Whether ``text`` matches ``pattern`` exactly, '*' standing for any run of characters.

    The first part must start the text and the last end it; each part between is taken at
    its first occurrence after the previous one, which is always the right choice when the
    only wildcard is '*'. No backtracking: linear in the lengths of pattern and text.
    """
    counter = counter or StepCounter()
    parts = wildcard_parts(pattern)
    if len(parts) == 1:
        counter.steps += len(text)
        return parts[0] == text
    first, middle, last = parts[0], parts[1:-1], parts[-1]
    counter.steps += len(first) + len(last)
    if len(first) + len(last) > len(text) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for part in middle:
        if not part:
            continue
        found = _find(text, part, position, end, counter)
        if found < 0:
            return False
        position = found + len(part)
    return True


def short_answer_matches(pattern, response, counter=None):
    """Case-insensitive, trimmed comparison where ``*`` stands for any run of characters."""
    return wildcard_match(normalise(pattern), normalise(response), counter)


# --- Numbers ---------------------------------------------------------------------------------

def parse_number(text):
    """A finite number from a trainee's answer (a decimal comma is accepted), or None."""
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
    if answer.get("any"):
        return True
    if "min" in answer:
        return answer["min"] <= value <= answer["max"]
    # A tiny allowance so that 0.1 + 0.2 style rounding never fails an exact answer.
    return abs(value - answer["value"]) <= answer.get("tolerance", 0) + 1e-9 * max(1.0, abs(answer["value"]))
