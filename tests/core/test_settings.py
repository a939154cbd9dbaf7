"""Settings fail fast and clearly; production settings pass `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BASE_ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith("KAOHE_")
    and k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
}
PRODUCTION = {
    "KAOHE_SECRET_KEY": "q7Ld0-production-secret-Zx81vKp2-mW5nRt9-aB3cD4eF6gH",
    "KAOHE_ALLOWED_HOSTS": "kaohe.example.gov.cn",
    "KAOHE_DATABASE_URL": "postgres://kaohe@127.0.0.1:5432/kaohe",
}


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import kaohe.settings"],
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "KAOHE_SECRET_KEY is not set"),
        ({**PRODUCTION, "KAOHE_SECRET_KEY": "short"}, "at least 50 characters"),
        ({**PRODUCTION, "KAOHE_ALLOWED_HOSTS": ""}, "KAOHE_ALLOWED_HOSTS must name"),
        ({"KAOHE_DEBUG": "maybe"}, "KAOHE_DEBUG='maybe': expected one of"),
        (
            {**PRODUCTION, "KAOHE_DATABASE_URL": "mysql://root@localhost/kaohe"},
            "SQLite or PostgreSQL",
        ),
        ({**PRODUCTION, "KAOHE_LOGIN_FAILURE_LIMIT": "five"}, "expected a whole number"),
        ({**PRODUCTION, "KAOHE_LOGIN_FAILURE_LIMIT": "0"}, "must be at least 1"),
    ],
)
def test_bad_settings_stop_the_process_with_a_clear_message(env, message):  # type: ignore[no-untyped-def]
    result = load_settings(env)
    assert result.returncode == 1
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_settings_load_and_pass_the_deploy_check():  # type: ignore[no-untyped-def]
    assert load_settings(PRODUCTION).returncode == 0
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env={**BASE_ENV, **PRODUCTION, "DJANGO_SETTINGS_MODULE": "kaohe.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
