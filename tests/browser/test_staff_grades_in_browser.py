"""A real browser: a unit head opens their unit's staff grades, proposes one excellent too many
and is refused with the quota named, proposes within the quota, and the office confirms. The
pages are in Chinese; screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from kaohe.people.models import PersonGrade, UnitGrading
from kaohe.testing.browser import browser, click_through, screenshot, signed_in_page
from kaohe.testing.people import STAFF_SCHEME_YAML, staffed_world
from kaohe.testing.results import published_run
from kaohe.testing.world import PASSWORD, build_world
from kaohe.units.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_unit_head_proposes_within_the_quota_and_the_office_confirms(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    world = build_world()
    published_run(world, STAFF_SCHEME_YAML)
    staff = staffed_world(world)
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    s04 = Person.objects.get(code="S04")
    base = live_server.url
    with browser() as chromium:
        page = signed_in_page(chromium, base, "d1_head", PASSWORD)
        click_through(page, "nav a[href='/people/']")
        assert page.locator("#gradings tbody tr").count() == 1
        click_through(page, f"#gradings a[href='/people/gradings/{grading.pk}/']")
        assert page.locator("#quota-count").inner_text() == "2"
        assert page.locator("#people tbody tr").count() == 10
        # one excellent past the quota: refused, the quota named, nothing stored
        page.select_option(f"select[name=grade_{s04.pk}]", "excellent")
        click_through(page, "#propose")
        problems = page.locator("#grade-problems").inner_text()
        assert "最多可评优秀 3 人" in problems, problems
        screenshot(page, "people-head-refused-past-quota")
        assert not PersonGrade.objects.filter(grading=grading).exists()
        page.select_option(f"select[name=grade_{s04.pk}]", "competent")
        click_through(page, "#propose")
        assert page.locator("#grade-problems").count() == 0
        assert page.locator("#quota [data-state=proposed]").count() == 1
        screenshot(page, "people-head-proposed")
        page.close()
        office = signed_in_page(chromium, base, "office", PASSWORD)
        office.goto(f"{base}/people/gradings/{grading.pk}/")
        click_through(office, "#confirm")
        assert office.locator("#quota [data-state=confirmed]").count() == 1
        screenshot(office, "people-office-confirmed")
        office.close()
    grading.refresh_from_db()
    assert grading.state == UnitGrading.State.CONFIRMED
    assert PersonGrade.objects.filter(grading=grading, final="excellent").count() == 3
