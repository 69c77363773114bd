"""The quick guides (issue 24): one page per role at /help/{role}, open without signing in,
in the reader's language, linked from every page's header (to the reader's own role's
guide once they are signed in); an unknown role is a 404 page that names the guides."""

from __future__ import annotations

import pytest

from hub.services.scope import GUIDES


@pytest.mark.parametrize("role", list(GUIDES))
async def test_each_roles_guide_is_served_in_english_and_spanish(visitor, role: str) -> None:
    status, html = await visitor.text(f"/help/{role}")
    assert status == 200
    assert 'lang="en"' in html and "Never forward a notice" in html
    r = await visitor.get(f"/help/{role}", headers={"Accept-Language": "es"})
    spanish = await r.text()
    assert r.status == 200 and 'lang="es"' in spanish
    assert "Never forward a notice" not in spanish and "Nunca reenvíe un aviso" in spanish


async def test_the_header_links_each_person_to_their_own_roles_guide(visitor, sign_in) -> None:
    _, html = await visitor.text("/signin")
    assert 'href="/help"' in html
    for person, start, guide in (("harbor-intake", "/inbox", "/help/point-person"),
                                 ("harbor-night", "/inbox", "/help/backup"),
                                 ("mercy-ehr", "/sent", "/help/sender"),
                                 ("ccr-coordinator", "/dashboard", "/help/coordinator"),
                                 ("mercy-admin", "/dashboard", "/help/agency-admin")):
        browser = await sign_in(person)
        _, page = await browser.text(start)
        assert f'href="{guide}"' in page, person


async def test_an_unknown_guide_is_a_404_page_naming_the_guides(visitor) -> None:
    status, html = await visitor.text("/help/janitor")
    assert status == 404
    assert "/help/point-person" in html
