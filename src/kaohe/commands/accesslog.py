"""gunicorn's access log without the respondents' secrets.

The answer pages' addresses hold a one-time code (`/s/c/<code>/`, the QR code's address, and
`/s/?code=` from the code form) or the open link's token (`/s/l/<token>/`). An access log line
with the client's address and the time next to the code would tie a person to a code — so this
logger class (`gunicorn --logger-class kaohe.commands.accesslog.AccessLog`, as `kaohe demo`
runs it) writes them as "…": in the request line, the path, the query, the Referer and the
response headers (a redirect's Location). Everything else is gunicorn's own logger."""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

SECRET = re.compile(r"(/s/[cl]/)[^/?\s\"]+|(/s/\?(?:[^\s\"]*&)?code=)[^&\s\"]*")


def redact(text: str) -> str:
    """`text` with every code or link token of an answer page's address replaced by "…"."""
    return SECRET.sub(lambda m: (m.group(1) or m.group(2)) + "…", text)


class AccessLog(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        answering = str(environ.get("PATH_INFO", "")).startswith("/s/")
        for key, value in atoms.items():
            if isinstance(value, str) and "/s/" in value:
                atoms[key] = redact(value)
        if answering:
            atoms["q"] = "…" if atoms.get("q") else atoms.get("q")
            atoms["{query_string}e"] = atoms["q"]
        return atoms
