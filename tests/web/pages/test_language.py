"""Pages in the reader's language (gettext catalogs through jinja2's i18n extension, Babel's
.po under hub/locales/): a signed-in person's own language from people.toml, else what the
browser asks for, and a switch on every page that sticks; the page's script gets the same
catalog, and names statuses and codes as the pages do."""

from __future__ import annotations

import json
import re
from html import unescape

from babel.messages.pofile import read_po

from hub.i18n import browser_catalog, negotiate
from tests.web.pages.test_referral_page import page, section, text

from .conftest import submit

PO = "hub/locales/es/LC_MESSAGES/messages.po"


def words_of(html: str) -> dict:
    """What a sealed page hands its script: <meta name="words" content='…'>."""
    return json.loads(unescape(re.search(r"<meta name=\"words\" content='([^']*)'>", html)
                               .group(1)))


async def test_a_spanish_browser_gets_the_sign_in_page_in_spanish(hub) -> None:
    r = await hub.client.get("/signin", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    html = await r.text()
    assert '<html lang="es">' in html and "<h1>Iniciar sesión</h1>" in html
    assert "Pegue el token personal" in html and "Sign in" not in text(html)
    english = await (await hub.client.get("/signin", headers={
        "Accept-Language": "fr-FR,en;q=0.8"})).text()
    assert '<html lang="en">' in english and "<h1>Sign in</h1>" in english


def test_accept_language_is_read_by_its_q_values() -> None:
    assert negotiate("fr, es;q=0.4, en;q=0.7") == "en"
    assert negotiate("es-419") == "es" and negotiate("de, fr") is None
    assert negotiate("en;q=0, es;q=0.1") == "es" and negotiate("") is None


async def test_a_signed_in_person_reads_the_pages_in_their_own_language(hub, sign_in) -> None:
    _, rid = await submit(hub)
    night = await sign_in("harbor-night")  # people.toml: language = "es"
    status, html = await night.text("/inbox")
    assert status == 200 and '<html lang="es">' in html
    assert "Referencias para Harbor House" in html and "esperando acuse de recibo" in html
    assert "urgente" in html and "Bandeja de entrada" in html and "Newest first" not in html
    status, thread = await night.text(f"/inbox/{rid}")
    assert "Lo que dice" in thread and "Acusar recibo" in thread
    intake = await sign_in("harbor-intake")  # English
    assert '<html lang="en">' in (await intake.text("/inbox"))[1]


async def test_the_switch_on_every_page_changes_the_language_and_comes_back(hub,
                                                                             sign_in) -> None:
    night = await sign_in("harbor-night")
    r = await night.client.post("/language", data={"language": "en", "next": "/inbox"},
                                allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/inbox"
    html = (await night.text("/inbox"))[1]
    assert '<html lang="en">' in html and "Inbox" in html
    assert 'name="language" value="es"' in html  # the way back
    r = await night.client.post("/language", data={"language": "es", "next": "//evil.example"},
                                allow_redirects=False)
    assert r.headers["Location"] == "/"  # only a path on this hub
    r = await night.client.post("/language", data={"language": "xx"}, allow_redirects=False)
    assert r.status == 400 and "choose one of en, es" in await r.text()


async def test_a_coordinator_reads_the_referral_page_in_spanish(hub, sign_in) -> None:
    _, rid = await submit(hub)
    browser = await sign_in("ccr-coordinator")
    await browser.client.post("/language", data={"language": "es"})
    html = await page(browser, rid)
    assert "Estado esperando acuse de recibo" in text(html)
    assert "Urgencia urgente" in text(html) and "Traspaso" not in section(html, "Historial")
    assert section(html, "Historial de estados").endswith("enviada · SANE Nurse (day shift)")
    assert "dom" not in text(html) and re.search(r"vie 15 ene 2027 \d\d:\d\d CST", text(html))


async def test_the_script_gets_the_same_catalog_as_the_pages(hub, sign_in) -> None:
    _, rid = await submit(hub)
    night = await sign_in("harbor-night")
    words = words_of((await night.text(f"/inbox/{rid}"))[1])
    with open(PO, "rb") as po:
        catalog = read_po(po)
    expected = {m.id if isinstance(m.id, str) else m.id[0]:
                m.string if isinstance(m.string, str) else list(m.string)
                for m in catalog if m.id and m.string}
    assert words["catalog"] == expected == browser_catalog("es")
    assert words["lang"] == "es" and words["zone"] == "America/Chicago"
    assert words["statuses"]["received"] == "recibo acusado"
    assert words["people"]["harbor-intake"] == "Harbor House intake advocate"
    assert "mercy-nurse-1" in words["people"] and "ccr-coordinator" not in words["people"]
