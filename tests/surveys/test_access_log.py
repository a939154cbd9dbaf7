"""gunicorn's access log as `kaohe demo` writes it (its logger class, a real log file): the
answer pages' codes and link tokens never reach it — not in the request line, the query, the
Referer nor a redirect's Location — and other pages are logged as before."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from gunicorn.config import Config

from kaohe.commands.accesslog import AccessLog, redact


def logged(tmp_path, path: str, query: str = "", referer: str = "-", location: str = "") -> str:  # type: ignore[no-untyped-def]
    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    cfg.set(
        "access_log_format",
        '%(h)s "%(r)s" %(U)s %(q)s %(s)s "%(f)s" "%({location}o)s" "%({query_string}e)s"',
    )
    logger = AccessLog(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}" if query else path,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": referer,
    }
    headers = [("Location", location)] if location else []
    resp = SimpleNamespace(status="302 Found", sent=10, headers=headers)
    logger.access(resp, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log_file.read_text()


def test_codes_and_tokens_are_not_logged(tmp_path):  # type: ignore[no-untyped-def]
    line = logged(tmp_path, "/s/c/ABCD2345/", referer="https://k.example/s/c/ABCD2345/")
    assert "ABCD2345" not in line and "/s/c/…/" in line and "203.0.113.9" in line
    line = logged(tmp_path, "/s/", query="code=wxyz-6789", location="/s/c/WXYZ6789/")
    assert "wxyz" not in line.lower() and "6789" not in line
    line = logged(tmp_path, "/s/l/Tok3nTok3n/")
    assert "Tok3n" not in line


def test_other_pages_are_logged_as_they_are(tmp_path):  # type: ignore[no-untyped-def]
    line = logged(tmp_path, "/indicators/", query="code=gdp")
    assert '"GET /indicators/?code=gdp HTTP/1.1"' in line


def test_redact():
    assert redact("GET /s/c/AB12/ HTTP/1.1") == "GET /s/c/…/ HTTP/1.1"
    assert redact("/s/?lang=zh&code=AB12") == "/s/?lang=zh&code=…"
    assert redact("/units/D01/") == "/units/D01/"
