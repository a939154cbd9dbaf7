"""Pages and API lists cached on the version of the data: a write is seen at once, a reader
sees only their scope, a form keeps its own session's CSRF token, and the version is raised
once per committed transaction."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kaohe.core import fragments
from kaohe.core.models import DataVersion, Notification
from kaohe.indicators import services as indicator_services
from kaohe.testing.pages import MAIN_PAGES
from kaohe.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user: object, **kwargs: object) -> Client:
    client = Client(headers={"accept-language": "en"}, **kwargs)  # type: ignore[arg-type]
    client.force_login(user)  # type: ignore[arg-type]
    return client


def indicator_count(html: str) -> int:
    match = re.search(r"Indicators in the catalogue</div><div class=\"value\">(\d+)<", html)
    assert match, "the overview shows the catalogue's size"
    return int(match.group(1))


def test_an_audited_write_is_seen_at_once(world, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(world.users["office"])
    before = indicator_count(client.get("/overview/").content.decode())
    with django_assert_max_num_queries(6):  # session, user, grants, notifications, version
        again = client.get("/overview/").content.decode()
    assert indicator_count(again) == before
    indicator_services.create_indicator(
        acting_user=world.admin, code="new_one", name_zh="新指标", name_en="New one"
    )
    assert indicator_count(client.get("/overview/").content.decode()) == before + 1


def test_readers_see_their_own_scope_from_the_cache(world) -> None:  # type: ignore[no-untyped-def]
    office = signed_in(world.users["office"]).get("/api/v1/units/?page_size=100").json()
    head = signed_in(world.users["d1_head"]).get("/api/v1/units/?page_size=100").json()
    office_codes = {u["code"] for u in office["results"]}
    head_codes = {u["code"] for u in head["results"]}
    assert {world.d1.code, world.d2.code} <= office_codes
    assert world.d1.code in head_codes and world.d2.code not in head_codes
    # and again, now that both answers are cached
    again = signed_in(world.users["d1_head"]).get("/api/v1/units/?page_size=100").json()
    assert {u["code"] for u in again["results"]} == head_codes


def test_a_cached_form_carries_the_readers_own_csrf_token(world) -> None:  # type: ignore[no-untyped-def]
    first = signed_in(world.users["d1_reporter"], enforce_csrf_checks=True)
    first.get(f"/observations/units/{world.d1.code}/")
    second = signed_in(world.users["d1_reporter"], enforce_csrf_checks=True)
    html = second.get(f"/observations/units/{world.d1.code}/").content.decode()
    assert "kaohe-fresh-" not in html
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    keys = re.findall(r'name="client_key" value="([0-9a-f]{32})"', html)
    assert tokens and keys
    other = re.findall(
        r'name="client_key" value="([0-9a-f]{32})"',
        second.get(f"/observations/units/{world.d1.code}/").content.decode(),
    )
    assert other and other[0] != keys[0], "each render gets its own one-time key"
    period = re.search(r'name="period" value="([^"]+)"', html)
    assert period
    answer = second.post(
        f"/observations/units/{world.d1.code}/",
        {"csrfmiddlewaretoken": tokens[-1], "period": period.group(1), "client_key": keys[0]},
    )
    assert answer.status_code in (200, 302), "the token from the cached page is accepted"


@pytest.mark.django_db(transaction=True)
def test_the_version_rises_once_per_committed_transaction(world) -> None:  # type: ignore[no-untyped-def]
    def number() -> int:
        return DataVersion.objects.get(pk=1).number

    start = number()  # every service of the world committed and raised it
    before = fragments.data_version()
    indicator_services.create_indicator(
        acting_user=world.admin, code="a_one", name_zh="甲", name_en="A"
    )
    assert number() == start + 1
    with transaction.atomic():  # two services in one transaction: one rise, at its commit
        indicator_services.create_indicator(
            acting_user=world.admin, code="b_one", name_zh="乙", name_en="B"
        )
        indicator_services.create_indicator(
            acting_user=world.admin, code="c_one", name_zh="丙", name_en="C"
        )
        assert number() == start + 1
    assert number() == start + 2
    with pytest.raises(RuntimeError), transaction.atomic():  # rolled back: no rise
        indicator_services.create_indicator(
            acting_user=world.admin, code="d_one", name_zh="丁", name_en="D"
        )
        raise RuntimeError
    indicator_services.create_indicator(
        acting_user=world.admin, code="e_one", name_zh="戊", name_en="E"
    )
    assert number() == start + 3, "a rolled-back transaction does not stop the next rise"
    assert fragments.data_version() != before


def test_what_is_not_safe_is_never_served_from_the_cache(world, settings) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def build() -> int:
        calls.append(1)
        return len(calls)

    class Post:
        method = "POST"

    assert fragments.cached(Post(), "x", build) == 1  # type: ignore[arg-type]
    assert fragments.cached(Post(), "x", build) == 2  # type: ignore[arg-type]
    settings.KAOHE_FRAGMENT_SECONDS = 0  # caching off: each answer is built afresh
    client = signed_in(world.users["office"])
    before = indicator_count(client.get("/overview/").content.decode())
    world.indicators["gdp"].__class__.objects.filter(pk=world.indicators["gdp"].pk).update(
        status="retired"
    )  # a write without an audit event, seen only because nothing is cached
    assert indicator_count(client.get("/overview/").content.decode()) == before - 1


@pytest.mark.parametrize("url", MAIN_PAGES)
def test_a_page_from_the_cache_costs_only_the_shell(world, url) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(world.users["office"])
    first = client.get(url)
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    # the session, the user, the grants, the version, the page shell's unread count, the unit
    # a unit's page names (its 404 and title), and the big screen's open surveys' responses
    # (not audited, so not in the version)
    extra = ("/units/" in url and "/api/" not in url) + (url == "/screen/")
    assert len(queries) <= 5 + extra, [q["sql"][:80] for q in queries]
    strip = re.compile(rb'value="[^"]{32,}"')  # the CSRF tokens and one-time keys differ
    assert strip.sub(b"", again.content) == strip.sub(b"", first.content)


def test_a_cached_page_shows_the_unread_count_of_the_moment(world) -> None:  # type: ignore[no-untyped-def]
    office = world.users["office"]
    client = signed_in(office)
    first = client.get("/overview/").content.decode()
    assert '<span class="badge red">1</span>' not in first
    Notification.objects.notify([office], "Your goals were returned.")  # no audit event
    again = client.get("/overview/").content.decode()
    assert '<span class="badge red">1</span>' in again
    assert "kaohe-page-" not in again and "kaohe-fresh-" not in again


def test_a_page_with_messages_is_built_for_them(world) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(world.users["office"])
    assert "Your password was changed." not in client.get("/overview/").content.decode()
    new = "Another-long-pass-2026!"
    answer = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert answer.redirect_chain[-1][0].endswith("/overview/")
    assert "Your password was changed." in answer.content.decode()
    # and the next answer, without the message, comes from the cache again
    assert "Your password was changed." not in client.get("/overview/").content.decode()


@pytest.mark.redis
def test_workers_can_share_the_cache_in_redis(world, settings) -> None:  # type: ignore[no-untyped-def]
    """With KAOHE_CACHE_URL the entries live in Redis (a real server), where every worker
    finds them: a second Redis client sees the page's entries and no new one for the repeat."""
    location = "redis://127.0.0.1:6379/14"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": location, "KEY_PREFIX": "kaohe-test"}}  # fmt: skip
    cache.clear()
    redis_client = RedisCache(location, {"KEY_PREFIX": "kaohe-test"})._cache.get_client()
    client = signed_in(world.users["office"])
    first = client.get("/overview/")
    entries = set(redis_client.keys("kaohe-test:*"))
    assert len(entries) >= 2  # the whole page and its content fragment
    again = client.get("/overview/")
    assert set(redis_client.keys("kaohe-test:*")) == entries  # answered from those entries
    assert again.status_code == first.status_code == 200
    cache.clear()
