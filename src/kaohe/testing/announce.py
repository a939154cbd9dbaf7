"""Say which database and which optional suites `make test` is about to run."""

import os

url = os.environ.get("KAOHE_TEST_DATABASE_URL")
if url:
    shown = url.split("@")[-1] if "@" in url else url
    print(f"make test: database PostgreSQL ({shown}) from KAOHE_TEST_DATABASE_URL")
else:
    print("make test: database SQLite (in memory); set KAOHE_TEST_DATABASE_URL for PostgreSQL")
browser = os.environ.get("KAOHE_BROWSER_TESTS") == "1"
state = "ON (headless Chromium)" if browser else "off (set KAOHE_BROWSER_TESTS=1)"
print(f"make test: browser tests {state}")
