"""What the platform says before any page exists (a setting it refuses to start with, a request for
a host name it does not answer to) is said in the site's default language (DEFAULT_LOCALE)."""
import secrets

import pytest

from training import create_app
from training.config import ProductionConfig, config_from_environment, trusted_hosts


@pytest.mark.parametrize("settings, spanish", [
    ({"PAPER_SIZE": "b5"}, "PAPER_SIZE debe ser 'letter' o 'a4', no 'b5'."),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT debe ser json o text, no 'xml'."),
    ({"ENV_NAME": "production", "SECRET_KEY": "short"}, "En producción, SECRET_KEY debe tener un valor aleatorio"),
])
def test_a_refused_setting_is_explained_in_the_sites_default_language(settings, spanish):
    with pytest.raises(RuntimeError) as refused:
        create_app({"DEFAULT_LOCALE": "es", **settings})
    assert str(refused.value).startswith(spanish)
    with pytest.raises(RuntimeError, match="must be|needs SECRET_KEY"):
        create_app({"DEFAULT_LOCALE": "en", **settings})


def test_an_unknown_environment_is_explained_in_the_default_language_of_the_environment(monkeypatch):
    monkeypatch.setenv("TRAINING_ENV", "prod")
    monkeypatch.setenv("DEFAULT_LOCALE", "es")
    with pytest.raises(RuntimeError, match="TRAINING_ENV='prod' no es un valor conocido: use uno de estos: "
                                           "development, production."):
        config_from_environment()


def test_an_unknown_default_language_is_explained_in_english():
    with pytest.raises(RuntimeError, match="DEFAULT_LOCALE must be one of en, es, not 'fr'."):
        create_app({"DEFAULT_LOCALE": "fr"})


class _SpanishProduction(ProductionConfig):
    SECRET_KEY = secrets.token_urlsafe(48)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    TRUSTED_HOSTS = trusted_hosts("https://training.example.org")
    DEFAULT_LOCALE = "es"


def test_a_host_name_the_site_does_not_answer_to_is_told_in_the_sites_default_language():
    client = create_app(_SpanishProduction).test_client()
    response = client.get("/login", headers={"Host": "attacker.example", "Accept-Language": "en"},
                          base_url="https://training.example.org")
    assert response.status_code == 400
    assert response.text == "Este sitio no responde a ese nombre de host.\n"
    assert client.get("/login", headers={"Host": "training.example.org"},
                      base_url="https://training.example.org").status_code == 200
