"""Refuse notes that identify the people a trainee supports.

A heuristic, not a guarantee: it catches the obvious identifiers (phone numbers, e-mail
addresses, dates of birth, record numbers) and says which one it found.
"""
import re

PATTERNS = [
    ("an e-mail address", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    ("a date of birth", re.compile(r"\b(?:d\.?o\.?b\.?|date of birth|birthday|born(?: on| in)?)\b[:\s]*\d",
                                   re.IGNORECASE)),
    ("a record or case number", re.compile(
        r"\b(?:mrn|nhs|ssn|record|case|file|patient|client|member|medicaid|id)\s*(?:no\.?|number|#|id)?\s*[:#]?\s*"
        r"[A-Z]{0,3}\d[\d-]{3,}\b", re.IGNORECASE)),
    ("a phone number", re.compile(
        r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?)?\d{2,5}[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b"
        r"|\(\d{3}\)\s*\d{3}[\s.-]?\d{4}\b|\b\d{3}[.-]\d{4}\b")),
    ("a long number that may identify someone", re.compile(r"\b\d{7,}\b")),
]
LONG_NUMBER = PATTERNS[-1][0]


FULL_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]((?:19|20)\d{2})\b|\b((?:19|20)\d{2})-\d{2}-\d{2}\b")


def _old_full_date(text):
    """A full date ten or more years ago is most likely someone's date of birth."""
    from datetime import date

    for match in FULL_DATE.finditer(text):
        year = int(match.group(1) or match.group(2))
        if year <= date.today().year - 10:
            return True
    return False


def find_identifiers(text):
    """Names of the kinds of identifier found in ``text``, in a fixed order."""
    found = [label for label, pattern in PATTERNS if text and pattern.search(text)]
    if text and "a date of birth" not in found and _old_full_date(text):
        found.insert(1 if "an e-mail address" in found else 0, "a date of birth")
    if "a phone number" in found and LONG_NUMBER in found:
        found.remove(LONG_NUMBER)
    return found


def identifier_message(text):
    """A message for the person, or None when the text looks safe."""
    found = find_identifiers(text)
    if not found:
        return None
    return (f"This looks like it contains {' and '.join(found)}. Notes must never identify the people you "
            "support: describe what happened without names, contact details, dates of birth or record numbers.")
