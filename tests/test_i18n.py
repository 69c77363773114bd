"""The catalogs are in step with the code: every message the pages' templates, the
browser's script and the hub's own words (hub/display.py...) ask for, as Babel extracts them
with babel.cfg (`make messages`), has a Spanish translation in hub/locales/es, with the
same placeholders; the catalog compiles, and holds no message nothing asks for."""

from __future__ import annotations

import re
from configparser import ConfigParser
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from hub.i18n import LANGUAGES, translations

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)")


def asked_for() -> set[str]:
    """Every message id the code asks for, extracted as `make messages` does."""
    config = ConfigParser()
    config.read(ROOT / "babel.cfg")
    method_map = [(section.split(":", 1)[1].strip(), section.split(":", 1)[0].strip())
                  for section in config.sections()]
    options = {section.split(":", 1)[1].strip(): dict(config[section])
               for section in config.sections()}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str):
    with open(ROOT / "hub" / "locales" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def test_every_message_the_code_asks_for_has_a_spanish_translation() -> None:
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog("es") if m.id}
    wanted = asked_for()
    assert len(wanted) > 300  # the pages, their script and the hub's names
    missing = sorted(m for m in wanted if m not in translated
                     or not all(translated[m].string if isinstance(translated[m].string, tuple)
                                else [translated[m].string]) or translated[m].fuzzy)
    assert missing == [], f"run `make messages` and translate: {missing[:10]}"
    assert sorted(set(translated) - wanted) == []  # nothing stale


def test_a_translation_keeps_every_placeholder() -> None:
    for m in catalog("es"):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == wanted, (m.id, s)


def test_the_catalogs_compile_and_translate() -> None:
    assert LANGUAGES == ("en", "es")
    es = translations("es")
    assert es.gettext("Sign in") == "Iniciar sesión"
    assert es.ngettext("%(num)d attempt", "%(num)d attempts", 1) % {"num": 1} == "1 intento"
    assert es.ngettext("%(num)d attempt", "%(num)d attempts", 3) % {"num": 3} == "3 intentos"
    assert translations("en").gettext("Sign in") == "Sign in"
