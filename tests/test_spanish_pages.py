"""Sign-in, account, administration, dashboard and error pages read wholly in Spanish for a Spanish reader."""
import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from training.audit import AuditEvent
from training.auth.models import UserRole
from training.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SPANISH_PO = ROOT / "training" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
# The pages these tests read are built from these templates and the Python behind them.
TEMPLATES = ["base.html", "_macros/*.html", "auth/*.html", "admin/*.html", "errors/*.html", "core/*.html"]
PYTHON = ["__init__.py", "forms.py", "audit.py", "templating.py", "auth/*.py", "admin/*.py", "core/*.py"]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def _english_texts():
    """The English of every string these pages mark whose Spanish differs, cut at its placeholders."""
    with SPANISH_PO.open("rb") as source:
        catalogue = read_po(source, locale="es")
    files = [("jinja2", path) for pattern in TEMPLATES for path in (ROOT / "templates").glob(pattern)]
    files += [("python", path) for pattern in PYTHON for path in (ROOT / "training").glob(pattern)]
    texts = set()
    for method, path in files:
        options = {"extensions": "jinja2.ext.do"} if method == "jinja2" else {}
        for _line, message, _comments, _context in extract_from_file(method, path, keywords=KEYWORDS,
                                                                     options=options):
            msgid = message[0] if isinstance(message, tuple | list) else message
            entry = catalogue.get(msgid)
            spanish = entry.string[0] if entry and isinstance(entry.string, tuple | list) else entry and entry.string
            if not spanish or spanish == msgid:
                continue
            for chunk in PLACEHOLDER.split(msgid):
                chunk = chunk.strip(" .,:;()“”’'")
                # Whole phrases only: a lone short word may well be Spanish too ("No", "Total").
                if len(chunk.split()) >= 2 or (len(chunk) >= 6 and chunk.isalpha()):
                    texts.add(chunk)
    return texts


ENGLISH = _english_texts()


def visible_text(page):
    """What a reader sees or hears: the text between tags, and the labels screen readers announce."""
    labels = " ".join(re.findall(r'(?:aria-label|data-label|placeholder|alt|title)="([^"]*)"', page))
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body) + " " + labels)


def english_left(page):
    """The English texts still on ``page``."""
    text = " ".join(visible_text(page).split())
    return sorted(e for e in ENGLISH if re.search(rf"(?<![\w-]){re.escape(e)}(?![\w-])", text))


def test_the_check_knows_the_english_of_these_pages():
    """The list the pages are checked against holds the texts they show in English."""
    assert {"Forgotten your password?", "Keep me signed in on this device", "Invite someone",
            "Nobody matches these filters", "Page not found"} <= ENGLISH


@pytest.mark.parametrize("path, spanish", [
    ("/login", ["Iniciar sesión", "¿Olvidó su contraseña?", "Mantener la sesión iniciada en este dispositivo",
                "Dirección de correo electrónico"]),
    ("/password/forgot", ["Restablezca su contraseña", "Enviarme un enlace para restablecerla"]),
    ("/invitation/not-a-token", ["Este enlace ya no funciona"]),
    ("/no-such-page", ["Error 404", "Página no encontrada", "Iniciar sesión", "Verificar un certificado"]),
])
def test_a_spanish_visitor_reads_the_sign_in_and_error_pages_in_spanish(client, path, spanish):
    page = client.get(path, headers={"Accept-Language": "es"}).text
    assert all(text in page for text in spanish)
    assert english_left(page) == []


def test_a_wrong_password_and_a_missing_field_are_explained_in_spanish(client, make_user):
    make_user("ana@example.org")
    page = client.post("/login", data={"email": "ana@example.org", "password": "wrong"},
                       headers={"Accept-Language": "es"}).text
    assert "Esa dirección de correo electrónico y esa contraseña no corresponden a una cuenta activa." in page
    page = client.post("/login", data={"email": "", "password": ""}, headers={"Accept-Language": "es"}).text
    assert "Escriba su dirección de correo electrónico." in page and "Escriba su contraseña." in page
    assert english_left(page) == []


@pytest.fixture
def spanish_admin(make_user, login_as):
    admin = make_user("ada@example.org", roles=("admin",), name="Ada Admin", locale="es")
    return admin, login_as(admin)


def test_an_administrators_pages_read_in_spanish(spanish_admin, make_user):
    admin, client = spanish_admin
    tina = make_user("tina@example.org", name="Tina Torres")
    make_user("ivan@example.org", name="Iván Ibarra", accepted=False)
    client.post(f"/admin/people/{tina.id}/roles", data={"roles": ["trainee", "trainer"]})
    expected = {
        "/dashboard": ["Administración del programa", "Invitar a alguien", "Actividad reciente", "Funciones cambiadas"],
        "/admin/people": ["Se encontraron 3 personas.", "Cualquier función", "Invitada", "Último inicio de sesión"],
        f"/admin/people/{tina.id}": ["Asignar un supervisor", "Todavía no tiene un supervisor asignado.",
                                     "Desactivar a Tina Torres", "Historial de auditoría de esta persona"],
        "/admin/people/invite": ["Una persona puede tener varias funciones.", "Enviar invitación"],
        "/admin/audit": ["Registro de auditoría", "Funciones cambiadas", "1 evento.", "antes", "después"],
        "/admin/courses": ["Volver a cargar los cursos desde los archivos", "Todavía no se ha cargado ningún curso."],
        "/account": ["Su cuenta", "Datos profesionales", "sus notificaciones"],
    }
    for path, spanish in expected.items():
        page = client.get(path).text
        assert 'lang="es"' in page
        missing = [text for text in spanish if text not in html.unescape(page)]
        assert missing == [], path
        assert english_left(page) == [], path
    # The header shortens three long names, so that an administrator's links fit on one line; the pages
    # they lead to keep the full name as their heading.
    header = re.search(r'<nav[^>]*id="main-nav".*?</nav>', client.get("/dashboard").text, re.S).group(0)
    assert [">Contenidos<", ">Certificados<", ">Auditoría<"] == [
        text for text in (">Contenidos<", ">Certificados<", ">Auditoría<") if text in header]
    assert "<h1>Registro de auditoría</h1>" in client.get("/admin/audit").text


def test_role_names_show_in_spanish_and_are_stored_in_english(spanish_admin, make_user):
    admin, client = spanish_admin
    tina = make_user("tina@example.org", name="Tina Torres")
    page = client.get("/admin/people").text
    assert "Administrador" in page and "Participante" in page and ">Trainee<" not in page
    client.post(f"/admin/people/{tina.id}/roles", data={"roles": ["trainee", "trainer"]})
    assert set(db.session.scalars(db.select(UserRole.role).where(UserRole.user_id == tina.id))) == {
        "trainee", "trainer"}
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.roles_changed"))
    assert event.details == {"before": ["trainee"], "after": ["trainee", "trainer"]}


def test_an_administrators_refusals_are_in_spanish(spanish_admin, make_user):
    admin, client = spanish_admin
    page = client.post("/admin/people/invite", data={"full_name": "", "email": "not-an-email"}).text
    assert "Escriba el nombre completo de la persona." in page
    assert "Escriba una dirección de correo electrónico como nombre@example.org." in page
    assert "Corrija lo siguiente" in page and english_left(page) == []
    response = client.post(f"/admin/people/{admin.id}/deactivate", data={"reason": ""}, follow_redirects=True)
    assert "No puede desactivar su propia cuenta." in response.text


def test_every_translated_plural_has_every_form_spanish_needs():
    """Spanish has three plural forms here (one, many, other): an entry given only two shows English for 2 or more.

    Give a plural all three, e.g. ["%(num)d módulo", "%(num)d módulos", "%(num)d módulos"].
    """
    with SPANISH_PO.open("rb") as source:
        catalogue = read_po(source, locale="es")
    half_done = [m.id[0] for m in catalogue if m.pluralizable and any(m.string) and not all(m.string)]
    assert half_done == [], f"plural entries missing a form: {half_done[:20]}"


def test_every_detail_the_platform_records_has_a_name_in_the_audit_log():
    """A detail with no name shows in the log as its code with spaces (``pdf sha256``), in English."""
    import ast

    from training.audit import DETAILS

    recorded = set()
    for path in (ROOT / "training").rglob("*.py"):
        for call in ast.walk(ast.parse(path.read_text())):
            if isinstance(call, ast.Call) and getattr(call.func, "attr", getattr(call.func, "id", "")) == "record":
                recorded |= {k.arg for k in call.keywords if k.arg not in (None, "actor", "subject")}
    assert {"pdf_sha256", "text_sha256", "reason"} <= recorded
    assert sorted(recorded - set(DETAILS) - {"demo"}) == []  # demo data's mark is never shown


def test_every_action_the_platform_records_has_a_name_in_the_audit_log():
    """An action with no name shows in the log and its filter as a code such as ``evidence.signed``."""
    from training.audit import ACTIONS

    source = "\n".join(path.read_text() for path in (ROOT / "training").rglob("*.py"))
    recorded = set(re.findall(r'audit\.record\(\s*"([a-z_]+\.[a-z_]+)"', source))
    recorded |= set(re.findall(r'^\s+event = "([a-z_]+\.[a-z_]+)"$', source, flags=re.M))
    recorded |= set(re.findall(r'\baction="([a-z_]+\.[a-z_]+)"', source))
    assert {"evidence.signed", "credential.enrolled", "user.invited"} <= recorded
    assert sorted(recorded - set(ACTIONS)) == []
