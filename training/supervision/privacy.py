"""Refuse notes that identify the people a trainee supports.

A heuristic, not a guarantee: it catches the usual shapes of names, contact details, dates
of birth, addresses and record numbers, including the ones people write to get past a
simple check ("jo at mail dot com", a phone number in words), and says what it found.
Ordinary notes about work and supervision must pass: every shape is anchored on something
an ordinary note does not contain (a client word right before a capitalised name, a
keyword before a date, a street type after a number). Notes are written in English and in
Spanish, so each shape is looked for as both write it ("la participante María López", "ana arroba
gmail punto com", "nació el 3 de marzo de 1980", "Calle Mayor 12", "expediente nº 4567-22").
"""
import re
from datetime import date

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|" \
         r"sept?iembre|octubre|noviembre|diciembre)"
DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|" \
             r"cero|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve)"
# People a trainee supports, as notes usually call them.
SUPPORTED = r"(?i:clients?|patients?|participants?|mentees?|service users?|consumers?|peers? supported|" \
            r"participantes?|client[ea]s?|pacientes?|usuari[oa]s?|personas? (?:atendid|acompañad)[oa]s?)"
UPPER, LOWER = "A-ZÁÉÍÓÚÑÜ", "a-záéíóúñü"
CAPITALISED = rf"[{UPPER}][{LOWER}]+(?:['’-][A-Za-z{UPPER}{LOWER}][{LOWER}]+)?"
# Capitalised words that follow "client" in ordinary notes and are not names.
NOT_NAMES = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow",
    "yesterday", "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "on", "in", "at", "and", "but", "the", "this", "that", "after", "before",
    "during", "when", "then", "later", "also", "she", "he", "they", "we", "it", "his", "her", "their", "our",
    "was", "is", "had", "has", "said", "says", "reported", "shared", "asked", "felt", "group", "session",
    "sessions", "meeting", "meetings", "plan", "plans", "intake", "services", "service", "support", "recovery",
    "centre", "center", "care", "team", "file", "record", "notes", "goals", "goal", "progress", "check",
    "did", "does", "will", "would", "could", "can", "not", "no", "yes", "okay", "ok", "agreed", "attended",
    "advocacy", "mentoring", "education", "wellness", "ethical", "ethics", "responsibility", "harm", "reduction",
    "handbook", "rights", "bill", "guide", "agreement", "consent", "form", "forms", "survey", "feedback",
    "orientation", "workbook", "safety", "crisis", "housing", "employment", "benefits", "health", "mental",
    # The same in Spanish notes.
    "lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo", "hoy", "mañana", "ayer", "enero",
    "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre",
    "diciembre", "el", "la", "los", "las", "en", "y", "pero", "este", "esta", "después", "antes", "durante",
    "cuando", "luego", "también", "ella", "él", "ellos", "ellas", "su", "sus", "fue", "es", "dijo", "contó",
    "compartió", "grupo", "sesión", "sesiones", "reunión", "servicios", "apoyo", "recuperación", "centro",
    "equipo", "notas", "metas", "progreso", "sí", "defensa", "derechos", "ética", "bienestar", "vivienda",
    "empleo", "salud", "seguridad", "formulario", "consentimiento", "taller",
}

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"
                   r"|\b[\w.+-]+\s*[(\[{<]?\s*(?i:at|arroba)\s*[)\]}>]?\s*[\w-]+"
                   r"(?:\s*[(\[{<]?\s*(?i:dot|punto)\s*[)\]}>]?\s*[\w-]+)*"
                   r"\s*[(\[{<]?\s*(?i:dot|punto)\s*[)\]}>]?\s*"
                   r"(?i:com|org|net|edu|gov|co|uk|io|us|ca|au|info|me|es|mx|ar)\b")
BIRTH = re.compile(r"\b(?:d\.?o\.?b\b\.?|date of birth|birth\s?date|birthday|born|naci[óo]|nacid[oa]|"
                   r"fecha de nacimiento|f\.\s?nac\b\.?|cumpleaños)\W{0,3}"
                   rf"(?:(?:is|was|on|in|of|es|fue|el|en|de)\W{{1,3}}){{0,2}}(?:\d|{MONTHS}\b)", re.IGNORECASE)
NUMERIC_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]((?:19|20)\d{2})\b|\b((?:19|20)\d{2})-\d{1,2}-\d{1,2}\b")
WORDED_DATE = re.compile(rf"\b(?:{MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?|\d{{1,2}}(?:st|nd|rd|th)?\s+"
                         rf"(?:(?:of|de)\s+)?{MONTHS}\.?,?)(?:\s+de)?\s+((?:19|20)\d{{2}})\b", re.IGNORECASE)
RECORD = re.compile(
    r"\b(?:mrn|nhs|ssn|sin|record|case|file|patient|client|member|medicaid|medicare|insurance|policy|id|"
    r"expediente|historia(?: clínica)?|caso|ficha|paciente|client[ea]|dni|nie|curp|nss|póliza)\s*"
    r"(?:no\.?|number|#|id|n\.?\s?[º°o]\.?|núm\.?|número)?\s*[:#]?\s*[A-Z]{0,3}\d[\d -]{3,}\d[A-Z]{0,2}\b",
    re.IGNORECASE)
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
PHONE = re.compile(r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?)?\d{2,5}[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b"
                   r"|\(\d{3}\)\s*\d{3}[\s.-]?\d{4}\b|\b\d{3}[.-]\d{4}\b")
PHONE_IN_WORDS = re.compile(rf"\b{DIGIT_WORD}(?:[\s,.-]+{DIGIT_WORD}){{6,}}\b", re.IGNORECASE)
STREET = re.compile(r"\b\d{1,5}[A-Za-z]?\s+(?:(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th))\s+){1,3}"
                    r"(?i:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|place|pl|way|"
                    r"terrace|close|crescent|highway|hwy|parkway|pkwy)\b")
# Spanish writes the street type first: "Calle Mayor 12", "Av. de la Reforma 222", "C/ Luna, 5".
CALLE = re.compile(rf"(?:\b(?i:calle|avenida|avda|av|plaza|pza|paseo|camino|carrera|calzada|ronda|travesía)\b\.?|"
                   rf"\b(?i:c)/)\s*(?:(?i:de|del|la|las|los|el)\s+){{0,2}}(?:[{UPPER}][\w{LOWER}]*\.?\s+){{0,3}}"
                   rf"[{UPPER}][\w{LOWER}]*,?\s+(?:(?i:n[º°o]\.?|núm\.?|número)\s*)?\d{{1,5}}\b")
POSTCODE = re.compile(r"\b(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|"
                      r"S[CD]|T[NX]|UT|V[AT]|W[AIVY])\s+\d{5}(?:-\d{4})?\b"  # a US state and ZIP code
                      r"|\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b")  # a UK postcode
NAME_AFTER_CLIENT = re.compile(rf"\b{SUPPORTED}\b[,:]?\s+(?:(?i:named|called|llamad[oa])\s+)?"
                               rf"({CAPITALISED}(?:\s+{CAPITALISED})?)")
NAME_BEFORE_CLIENT = re.compile(rf"\b({CAPITALISED}\s+{CAPITALISED})\s*(?:\(|,|-|–|—)\s*(?:(?i:my|a|the|our)\s+)?"
                                rf"{SUPPORTED}\b")
TITLED_NAME = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Sr|Sra|Srta|Dña|Doña)\.?\s+{CAPITALISED}")
LONG_NUMBER = re.compile(r"\b\d{7,}\b")


def _without(text, *patterns):
    """``text`` with what ``patterns`` match blanked out, so that another check does not find it again."""
    for pattern in patterns:
        text = pattern.sub(lambda match: " " * len(match.group(0)), text)
    return text


def _names(pattern, text):
    for match in pattern.finditer(text):
        words = match.group(1).split()
        while words and words[-1].lower() in NOT_NAMES:
            words.pop()
        if words and not any(word.lower() in NOT_NAMES for word in words):
            return True
    return False


def _date_of_birth(text):
    if BIRTH.search(text):
        return True
    # A full date ten or more years ago is most likely someone's date of birth.
    oldest = date.today().year - 10
    for pattern in (NUMERIC_DATE, WORDED_DATE):
        for match in pattern.finditer(text):
            if int(next(group for group in match.groups() if group)) <= oldest:
                return True
    return False


CHECKS = [
    (_l("a name"), lambda text: _names(NAME_AFTER_CLIENT, text) or _names(NAME_BEFORE_CLIENT, text)
     or bool(TITLED_NAME.search(text))),
    (_l("an e-mail address"), lambda text: bool(EMAIL.search(text))),
    (_l("a date of birth"), _date_of_birth),
    (_l("a record or case number"), lambda text: bool(RECORD.search(text) or SSN.search(text))),
    (_l("a street address"), lambda text: bool(STREET.search(text) or CALLE.search(text) or POSTCODE.search(text))),
    # The digits of a record number ("case 12345678") are not a phone number as well.
    (_l("a phone number"), lambda text: bool(PHONE.search(_without(text, RECORD, SSN)) or PHONE_IN_WORDS.search(text))),
    (_l("a long number that may identify someone"), lambda text: bool(LONG_NUMBER.search(text))),
]


def find_identifiers(text):
    """Names of the kinds of identifier found in ``text``, in a fixed order."""
    if not text:
        return []
    found = [label for label, check in CHECKS if check(text)]
    if len(found) > 1 and found[-1] == CHECKS[-1][0]:
        found.pop()  # a long number already explained by another kind
    return found


def identifier_message(text):
    """A message for the person, or None when the text looks safe."""
    found = find_identifiers(text)
    if not found:
        return None
    # "a name, an e-mail address and a phone number", as the reader's language lists things.
    kinds = format_list([str(kind) for kind in found], locale=get_locale() or "en")
    return _("This looks like it contains %(kinds)s. Notes must never identify the people you support: describe "
             "what happened without names, contact details, dates of birth, addresses or record numbers "
             "(a letter such as \u201cclient A\u201d is fine).", kinds=kinds)
