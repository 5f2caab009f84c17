"""The administration commands speak the site's default language (DEFAULT_LOCALE): their --help,
click's words around it, and what they print."""
import pytest


@pytest.mark.config(DEFAULT_LOCALE="es")
def test_a_command_help_is_in_the_sites_default_language(runner):
    result = runner.invoke(args=["users", "create", "--help"])
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())  # as read, whatever the terminal's width
    assert "Crear una cuenta con contraseña (para el primer administrador)." in result.output
    assert "Nombre completo." in result.output
    assert "Repítalo para indicar varias funciones. [predeterminado: trainee]" in words
    assert "[obligatorio]" in result.output
    assert "Mostrar este mensaje y salir." in result.output
    assert result.output.startswith("Uso: ") and "Opciones:" in result.output
    assert "Create an account" not in result.output and "Full name" not in result.output


@pytest.mark.config(DEFAULT_LOCALE="es")
def test_a_group_help_lists_its_commands_in_the_sites_default_language(runner):
    result = runner.invoke(args=["credentials", "--help"])
    assert result.exit_code == 0, result.output
    assert "Cargar las definiciones de credenciales desde certificates/credentials/." in result.output
    assert "Comandos:" in result.output
    assert "Cargar o actualizar todas las credenciales" in result.output
    for group in (["jobs", "--help"], ["backup", "--help"]):
        output = runner.invoke(args=group).output
        assert "Opciones:" in output and "Mostrar este mensaje y salir." in output


@pytest.mark.config(DEFAULT_LOCALE="es")
def test_what_a_command_prints_is_in_the_sites_default_language(runner):
    result = runner.invoke(args=["users", "deactivate", "--email", "nobody@example.org"])
    assert result.exit_code == 1
    assert "No hay ninguna cuenta" in result.output and "No account" not in result.output


@pytest.mark.config(DEFAULT_LOCALE="es", DEMO_DATA_ALLOWED=False)
def test_the_refusal_of_demo_data_is_in_the_sites_default_language(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "Los datos de demostración nunca se crean en una configuración de producción." in result.output


def test_an_english_site_keeps_its_commands_in_english(runner):
    result = runner.invoke(args=["users", "create", "--help"])
    assert "Create an account with a password (for the first administrator)." in result.output
    assert result.output.startswith("Usage: ") and "[default: trainee]" in result.output
    assert "Uso:" not in result.output


BROKEN_CREDENTIAL = """slug: Broken
title: ""
certificate_prefix: BR
domains: [Advocacy, Advocacy]
validity_months: 0
colour: blue
requirements:
  - kind: nope
  - kind: training_hours
    domains: {Harm Reduction: 5}
"""


@pytest.mark.config(DEFAULT_LOCALE="es")
def test_a_credential_files_problems_are_explained_in_the_sites_default_language(runner, tmp_path):
    """Pydantic's own messages and the platform's are both written for the file's author, with the path kept."""
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_CREDENTIAL)
    result = runner.invoke(args=["credentials", "check", str(path)])
    assert result.exit_code == 1
    for line in (f"{path}:1: slug: debe contener letras minúsculas y dígitos, en palabras unidas por guiones",
                 f"{path}:2: title: no puede estar vacío",
                 f"{path}:4: domains: los dominios deben ser distintos",
                 f"{path}:5: validity_months: debe ser mayor que 0",
                 f"{path}:6: colour: clave desconocida",
                 f"{path}:8: requirements[0]: 'nope' no es un tipo que este archivo conozca (use uno de estos: "
                 "'course', 'training_hours'"):
        assert line in result.output
    assert "Input should" not in result.output and "String should" not in result.output


@pytest.mark.config(DEFAULT_LOCALE="es")
def test_a_credentials_cross_references_are_checked_in_the_sites_default_language(runner, tmp_path):
    path = tmp_path / "refs.yaml"
    path.write_text("slug: refs\ntitle: R\ncertificate_prefix: RF\ndomains: [Advocacy]\nvalidity_months: 12\n"
                    "requirements:\n  - kind: training_hours\n    domains: {Harm Reduction: 5}\n")
    result = runner.invoke(args=["credentials", "check", str(path)])
    assert (f"{path}:8: requirements[0].domains.Harm Reduction: 'Harm Reduction' no es uno de los dominios de esta "
            "credencial") in result.output
