"""The browser-facing defences: a strict Content-Security-Policy with no inline script, a
sign-in lockout that strangers cannot turn against an account, sessions that end, and a page to
change one's password."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client, override_settings

import kaohe
from kaohe.core.clientip import client_address, trusted_networks
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.testing.world import PASSWORD

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(Path(kaohe.__file__).parent.glob("*/templates/**/*.html"))


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


# -- Content-Security-Policy --------------------------------------------------------------


def test_every_page_carries_a_policy_without_inline_script(world):  # type: ignore[no-untyped-def]
    client = signed_in(world.users["office"])
    for url in ("/overview/", "/observations/upload/", "/api/docs/", "/login/"):
        policy = client.get(url).headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'", url
        elements = "'self' 'unsafe-inline'" if url == "/api/docs/" else "'self'"
        assert directives["style-src-elem"] == elements, url  # Swagger UI's own <style>
        assert directives["object-src"] == "'none'", url
        assert directives["frame-ancestors"] == "'none'", url


def test_no_template_holds_an_inline_script_or_handler():  # type: ignore[no-untyped-def]
    assert len(TEMPLATES) > 40
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
    offenders = [
        str(path.relative_to(Path(kaohe.__file__).parent))
        for path in TEMPLATES
        if inline_script.search(path.read_text()) or handler.search(path.read_text())
    ]
    assert offenders == []


# -- Sign-in lockout behind the proxy ----------------------------------------------------

PROXY = trusted_networks(["127.0.0.1", "10.0.0.0/8"])


def sign_in(client: Client, password: str, forwarded_for: str, peer: str = "127.0.0.1") -> int:
    response = client.post(
        "/login/",
        {"username": "office", "password": password},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    return response.status_code


@override_settings(KAOHE_TRUSTED_PROXY_NETWORKS=PROXY)
def test_failures_from_a_stranger_do_not_lock_the_owner_out(world):  # type: ignore[no-untyped-def]
    stranger = Client()
    for _ in range(5):
        sign_in(stranger, "wrong-password", "203.0.113.9")
    assert sign_in(stranger, PASSWORD, "203.0.113.9") == 429  # the stranger is locked
    # the owner, behind the same proxy from their own machine, still signs in
    assert sign_in(Client(), PASSWORD, "198.51.100.7, 10.1.2.3") == 302


@override_settings(KAOHE_TRUSTED_PROXY_NETWORKS=PROXY)
def test_a_client_cannot_choose_the_address_it_is_counted_under(world):  # type: ignore[no-untyped-def]
    attacker = Client()
    # straight to the server (not through the proxy), inventing a new address each time
    for n in range(5):
        sign_in(attacker, "wrong-password", f"198.51.100.{n}", peer="192.0.2.44")
    assert sign_in(attacker, PASSWORD, "198.51.100.77", peer="192.0.2.44") == 429
    # through the proxy, putting a made-up address in front of its own
    for n in range(5):
        sign_in(attacker, "wrong-password", f"198.51.100.{n}, 203.0.113.50")
    assert sign_in(attacker, PASSWORD, "198.51.100.99, 203.0.113.50") == 429


def test_the_client_address_rule():  # type: ignore[no-untyped-def]
    def addr(peer: str, xff: str | None = None) -> str:
        meta = {"REMOTE_ADDR": peer} | ({"HTTP_X_FORWARDED_FOR": xff} if xff else {})
        return client_address(meta, PROXY)

    assert addr("192.0.2.1", "198.51.100.1") == "192.0.2.1"  # untrusted peer: header ignored
    assert addr("127.0.0.1", "198.51.100.1") == "198.51.100.1"
    assert addr("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.7") == "198.51.100.1"
    assert addr("127.0.0.1", "garbage") == "127.0.0.1"
    assert addr("127.0.0.1") == "127.0.0.1"
    assert addr("127.0.0.1", "10.0.0.5") == "127.0.0.1"  # only proxies: the proxy itself
    assert addr("127.0.0.1", "2001:db8::1") == "2001:db8::1"
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300' is not an address"):
        trusted_networks(["10.0.0.300"])


# -- Sessions and passwords ---------------------------------------------------------------


def test_a_session_ends_with_the_browser_and_after_a_working_day(world, settings):  # type: ignore[no-untyped-def]
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    client = Client()
    response = client.post("/login/", {"username": "office", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()


def test_one_changes_ones_own_password(world):  # type: ignore[no-untyped-def]
    user = world.users["d1_reporter"]
    client = Client()
    signed = client.post("/login/", {"username": "d1_reporter", "password": PASSWORD})
    assert signed.status_code == 302
    page = client.get("/account/password/")
    assert page.status_code == 200 and 'name="old_password"' in page.content.decode()
    new = "Lanhu-Report-2027"
    wrong = client.post(
        "/account/password/",
        {"old_password": "not-it", "new_password1": new, "new_password2": new},
    )
    assert wrong.status_code == 200 and "old_password" in wrong.context["form"].errors
    weak = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "password12", "new_password2": "password12"},
    )
    assert weak.status_code == 200 and "new_password2" in weak.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(event_type=EventType.USER_PASSWORD_CHANGED).exists()
    done = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    event = AuditEvent.objects.get(event_type=EventType.USER_PASSWORD_CHANGED)
    assert event.acting_user_id == user.pk and new not in str(event.extra_data)
    assert client.get("/overview/").status_code == 200  # still signed in
    assert Client().get("/account/password/").status_code == 302  # sign-in first
