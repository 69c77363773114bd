"""Signing in to the hub's pages with a personal token, and everything that ends a session:
signing out, 15 idle minutes on the hub's clock, revoking the token."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from hub.services.tokens import FAILURE_LIMIT
from hub.web import app as web_app

from .conftest import COOKIE, app_with, audit_events, csrf_of, open_browser, submit
from .support import text

MINUTE = 60


def sign_in_then(location: str) -> str:
    """Where a redirect to the sign-in page says to go next."""
    parts = urlsplit(location)
    assert parts.path == "/signin", location
    return parse_qs(parts.query)["next"][0]


def token_id(token: str) -> str:
    return token.split("_")[1]


async def post_sign_in(browser, token: str, next_: str = "/dashboard", csrf: str | None = None):
    form = await (await browser.get("/signin")).text()
    return await browser.post("/signin", {"csrf": csrf if csrf is not None else csrf_of(form),
                                          "token": token, "next": next_})


def set_cookie(response, name: str) -> str:
    found = [v for v in response.headers.getall("Set-Cookie", []) if v.startswith(f"{name}=")]
    assert len(found) == 1, response.headers
    return found[0]


async def test_a_good_token_sets_an_httponly_strict_session_cookie(hub, visitor) -> None:
    r = await post_sign_in(visitor, hub.world.members["ccr-coordinator"].token)
    assert r.status == 303 and r.headers["Location"] == "/dashboard"
    cookie = set_cookie(r, COOKIE).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie.replace("samesite=strict", "")  # dev mode: plain http
    assert (await visitor.get("/dashboard")).status == 200


async def test_the_session_cookie_is_secure_in_production(hub, aiohttp_client, redis_url,
                                                         monkeypatch) -> None:
    async def durable(services, settings) -> None:
        return None  # the test Redis does not fsync every write
    monkeypatch.setattr(web_app, "check_durability", durable)
    server = await app_with(hub, aiohttp_client, redis_url, mode="production")
    browser = await open_browser(aiohttp_client, server)
    form = await browser.get("/signin")
    assert "secure" in set_cookie(form, "ccr_signin").lower()
    # a browser sends Secure cookies back over https only; the test server speaks http
    r = await browser.client.post("/signin", allow_redirects=False, data={
        "csrf": csrf_of(await form.text()), "next": "/dashboard",
        "token": hub.world.members["ccr-coordinator"].token},
        cookies={"ccr_signin": form.cookies["ccr_signin"].value})
    assert r.status == 303
    cookie = set_cookie(r, f"__Host-{COOKIE}").lower()  # the host-only prefix, too
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


async def test_a_bad_token_shows_the_form_again_with_a_clear_message_and_401(hub,
                                                                           visitor) -> None:
    before = len(await audit_events(hub, action="auth", outcome="denied"))
    r = await post_sign_in(visitor, "ccr_0123456789abcdef_" + "x" * 43)
    assert r.status == 401
    html = await r.text()
    assert "That token was not accepted" in text(html) and 'name="token"' in html
    assert COOKIE not in r.cookies
    assert len(await audit_events(hub, action="auth", outcome="denied")) == before + 1
    assert (await visitor.get("/dashboard")).status == 303


async def test_repeated_bad_tokens_are_refused_with_a_wait_message(hub, visitor) -> None:
    for _ in range(FAILURE_LIMIT):
        await post_sign_in(visitor, "not-a-token")
    r = await post_sign_in(visitor, hub.world.members["ccr-coordinator"].token[:-1] + "A")
    assert r.status == 429 and "Wait five minutes" in text(await r.text())


async def test_the_sign_in_form_without_its_csrf_token_is_refused(hub, visitor) -> None:
    r = await post_sign_in(visitor, hub.world.members["ccr-coordinator"].token, csrf="forged")
    assert r.status == 403 and "This sign-in form expired" in text(await r.text())
    assert COOKIE not in r.cookies
    assert (await visitor.get("/dashboard")).status == 303


async def test_a_sign_in_posted_from_elsewhere_without_the_form_cookie_is_refused(
        hub, aiohttp_client) -> None:
    browser = await open_browser(aiohttp_client, hub.client.server)
    r = await browser.post("/signin", {"csrf": "anything", "next": "/dashboard",
                                       "token": hub.world.members["ccr-coordinator"].token})
    assert r.status == 403 and COOKIE not in r.cookies


async def test_signing_in_returns_to_the_page_asked_for(hub, visitor) -> None:
    r = await post_sign_in(visitor, hub.world.members["ccr-coordinator"].token,
                           "/dashboard/figures?days=7")
    assert r.headers["Location"] == "/dashboard/figures?days=7"


@pytest.mark.parametrize("target", [
    "//evil.example/dashboard", "http://evil.example/", "https://evil.example/dashboard",
    "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "javascript:alert(1)",
    "evil.example", "",
])
async def test_after_sign_in_only_a_path_on_this_hub_is_followed(hub, visitor,
                                                                 target: str) -> None:
    form = await (await visitor.get(f"/signin?next={quote(target, safe='')}")).text()
    assert 'name="next" value="/"' in form  # the person's own start page instead
    r = await post_sign_in(visitor, hub.world.members["ccr-coordinator"].token, target)
    assert r.status == 303 and r.headers["Location"] == "/"


async def test_signing_out_needs_the_csrf_token(sign_in) -> None:
    browser = await sign_in("ccr-coordinator")
    r = await browser.post("/signout", {"csrf": "forged"})
    assert r.status == 403
    assert (await browser.get("/dashboard")).status == 200


async def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(
        hub, sign_in, aiohttp_client) -> None:
    browser = await sign_in("ccr-coordinator")
    sid = browser.session_id
    r = await browser.post_form("/signout", {})
    assert r.status == 303 and r.headers["Location"] == "/signin"
    assert (await browser.get("/dashboard")).status == 303
    copy = await open_browser(aiohttp_client, hub.client.server)
    r = await copy.get("/dashboard", cookies={COOKIE: sid})
    assert r.status == 303 and r.headers["Location"].startswith("/signin")
    assert await audit_events(hub, action="session.sign_out", actor="ccr-coordinator")


async def test_fifteen_idle_minutes_sign_you_out(hub, sign_in) -> None:
    browser = await sign_in("harbor-director")
    hub.clock.advance(15 * MINUTE + 1)
    r = await browser.get("/dashboard/figures")
    assert r.status == 303 and sign_in_then(r.headers["Location"]) == "/dashboard/figures"


async def test_activity_within_fifteen_minutes_keeps_you_signed_in(hub, sign_in) -> None:
    browser = await sign_in("harbor-director")
    for _ in range(4):  # an hour, never idle for 15 minutes
        hub.clock.advance(14 * MINUTE)
        assert (await browser.get("/dashboard")).status == 200
    hub.clock.advance(15 * MINUTE + 1)
    assert (await browser.get("/dashboard")).status == 303


async def test_revoking_the_token_ends_the_session_at_once(hub, sign_in) -> None:
    browser = await sign_in("harbor-director")
    assert (await browser.get("/dashboard")).status == 200
    assert await hub.services.tokens.revoke(token_id(hub.world.members["harbor-director"].token))
    r = await browser.get("/dashboard")
    assert r.status == 303 and r.headers["Location"].startswith("/signin")


@pytest.mark.parametrize("page", [
    "/dashboard", "/dashboard?state=breached&hours=48", "/dashboard/rows?agency=harbor-house",
    "/dashboard/referrals/{rid}", "/dashboard/figures?days=7", "/dashboard/figures.csv",
])
async def test_an_unsigned_request_goes_to_sign_in_and_back(hub, visitor, page: str) -> None:
    _, rid = await submit(hub)
    page = page.format(rid=rid)
    r = await visitor.get(page)
    assert r.status == 303 and sign_in_then(r.headers["Location"]) == page
    r = await post_sign_in(visitor, hub.world.members["ccr-coordinator"].token,
                           page)  # the form carries 'next' on
    assert r.headers["Location"] == page
    assert (await visitor.get(page)).status == 200


@pytest.mark.parametrize("action", ["nudge", "review"])
async def test_an_unsigned_form_post_goes_to_sign_in_and_changes_nothing(hub, visitor,
                                                                       action: str) -> None:
    _, rid = await submit(hub)
    before = await hub.store.notices.of_referral(rid)
    r = await visitor.post(f"/dashboard/referrals/{rid}/{action}",
                           {"timer": "ack", "code": "discussed"})
    assert r.status == 303 and r.headers["Location"] == "/signin"
    assert await hub.store.notices.of_referral(rid) == before
    assert (await hub.store.referrals.history(rid))[-1].action != "reviewed"


async def test_an_unsigned_event_stream_gets_401_not_a_redirect(visitor) -> None:
    r = await visitor.get("/dashboard/events", headers={"Accept": "text/event-stream"})
    assert r.status == 401


async def test_the_link_in_a_notice_leads_a_coordinator_to_the_referral_page(
        hub, visitor) -> None:
    _, rid = await submit(hub)
    r = await visitor.get(f"/r/{rid}")
    assert r.status == 303 and sign_in_then(r.headers["Location"]) == f"/r/{rid}"
    r = await post_sign_in(visitor, hub.world.members["ccr-coordinator"].token, f"/r/{rid}")
    assert r.headers["Location"] == f"/r/{rid}"
    r = await visitor.get(f"/r/{rid}")
    assert r.status == 303 and r.headers["Location"] == f"/dashboard/referrals/{rid}"
