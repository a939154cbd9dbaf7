"""Shared fixtures. Django-free engine tests live in tests/engine and tests/demo."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

# CI runs the property tests on fixed examples (a landing is not decided by the draw); `make
# test` on a workstation draws new ones each run, which is how the next edge case is found.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """Browser tests run when KAOHE_BROWSER_TESTS=1 (CI sets it); say so when they do not."""
    if os.environ.get("KAOHE_BROWSER_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="browser tests are off: set KAOHE_BROWSER_TESTS=1")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    from kaohe.testing.world import build_world

    return build_world()


@pytest.fixture(autouse=True)
def english_messages():  # type: ignore[no-untyped-def]
    """Service messages in English, so tests can quote them. Pages still start in zh-hans: the
    locale middleware activates the request's language (LANGUAGE_CODE when none is asked)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_fragments():  # type: ignore[no-untyped-def]
    """Each test starts with no cached page (ids are reused across tests on SQLite)."""
    from django.conf import settings

    if settings.configured:
        from kaohe.core.fragments import forget_all

        forget_all()
    yield
