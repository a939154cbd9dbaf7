"""Test settings: SQLite by default, PostgreSQL when KAOHE_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os

os.environ.setdefault("KAOHE_DEBUG", "1")

from kaohe.settings import *  # noqa: F403
from kaohe.settings import database_from_url

_test_url = os.environ.get("KAOHE_TEST_DATABASE_URL")
if _test_url:
    DATABASES = {"default": database_from_url(_test_url, variable="KAOHE_TEST_DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "TEST": {"NAME": ":memory:"},
        }
    }
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "zh-hans"
# Static files are found by the finders in tests; no collected STATIC_ROOT is needed.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405
