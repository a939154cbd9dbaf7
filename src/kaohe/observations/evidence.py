"""Evidence files: supporting documents sent with a batch through any door.

A file is checked before anything is stored (count, size, an allowed type whose content matches
its name — a renamed program is refused), then stored content-addressed under MEDIA_ROOT
inside the batch's transaction with an audit event. Files are served only through a scoped
view, never as public media."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.files.base import ContentFile
from django.http import FileResponse

from kaohe.core import audit
from kaohe.core.errors import RowError
from kaohe.core.events import EventType
from kaohe.observations import messages as m
from kaohe.observations.models import Evidence, IngestionBatch

_Stored = TypeVar("_Stored", bound=Any)

MAX_FILES = 10
MAX_BYTES = 20 * 1024 * 1024

_ZIP = b"PK\x03\x04"
# extension → accepted leading bytes (None: text, checked by decoding)
SIGNATURES: dict[str, tuple[bytes, ...] | None] = {
    "pdf": (b"%PDF-",),
    "ofd": (_ZIP,),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "xlsx": (_ZIP,),
    "docx": (_ZIP,),
    "zip": (_ZIP,),
    "csv": None,
    "txt": None,
}


@dataclass(frozen=True)
class EvidenceFile:
    """A file as received: its name and bytes."""

    name: str
    data: bytes


def _is_text(data: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return "\x00" not in text
    return False


def check_evidence(files: Sequence[EvidenceFile]) -> list[RowError]:
    """Every problem with the files, each naming the file (field "evidence")."""
    errors: list[RowError] = []
    if len(files) > MAX_FILES:
        errors.append(RowError(0, "evidence", m.EVIDENCE_TOO_MANY % {"count": MAX_FILES}))
    for f in files:
        name = f.name.replace("\\", "/").rsplit("/", 1)[-1]
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if not f.data:
            errors.append(RowError(0, "evidence", m.EVIDENCE_EMPTY, name))
        elif len(f.data) > MAX_BYTES:
            too_large = m.EVIDENCE_TOO_LARGE % {"mb": MAX_BYTES // (1024 * 1024)}
            errors.append(RowError(0, "evidence", too_large, name))
        elif suffix not in SIGNATURES:
            allowed = ", ".join(sorted(SIGNATURES))
            errors.append(RowError(0, "evidence", m.EVIDENCE_TYPE % {"allowed": allowed}, name))
        else:
            signatures = SIGNATURES[suffix]
            ok = _is_text(f.data) if signatures is None else f.data.startswith(signatures)
            if not ok:
                content = m.EVIDENCE_CONTENT % {"suffix": suffix}
                errors.append(RowError(0, "evidence", content, name))
    return errors


def save_files(
    files: Sequence[EvidenceFile], build: Callable[..., _Stored], *, acting_user: Any
) -> list[_Stored]:
    """Store checked files content-addressed (inside the caller's transaction): `build(name=,
    size=, sha256=, uploaded_by=)` makes each unsaved row of the evidence model (its
    `FileField` is `file`, stored under the content's hash). A file left on disk by a
    rolled-back transaction is harmless: names are the content's hash."""
    stored = []
    for f in files:
        name = f.name.replace("\\", "/").rsplit("/", 1)[-1][:255]
        row = build(
            name=name,
            size=len(f.data),
            sha256=hashlib.sha256(f.data).hexdigest(),
            uploaded_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        )
        row.file.save(name, ContentFile(f.data), save=False)
        row.save()
        stored.append(row)
    return stored


def store_evidence(
    batch: IngestionBatch, files: Sequence[EvidenceFile], *, acting_user: Any
) -> list[Evidence]:
    """Store checked files for the batch (inside the caller's transaction), with one audit
    event naming them."""
    stored = save_files(
        files, lambda **fields: Evidence(batch=batch, **fields), acting_user=acting_user
    )
    if stored:
        audit.record(
            EventType.EVIDENCE_ATTACHED,
            acting_user=acting_user,
            obj=batch,
            unit=batch.source_unit,
            extra={"batch": batch.pk, "files": [[e.name, e.sha256, e.size] for e in stored]},
        )
    return stored


# what a stored file is served as (anything else: a download of octets)
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "csv": "text/csv",
    "txt": "text/plain",
}


def evidence_response(evidence: Any, *, inline: bool = False) -> FileResponse:
    """A stored evidence file (any app's: `file` and `name`) for a reader already allowed to
    see it: an attachment unless `inline` (a photo shown in its page), its type from its
    checked suffix, never sniffed."""
    suffix = evidence.name.rsplit(".", 1)[-1].lower() if "." in evidence.name else ""
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=not inline,
        filename=evidence.name,
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
