"""The printable forms of access codes: a QR code per code (PNG, or SVG inside the sheet), a ZIP
of a batch's PNGs for the live event's print shop, and the code sheet as PDF — A4, a grid of
cut-out slips, each with the survey, the group, the code in large type, the short address to
type it at and a QR code holding the code's own address (scanned, it opens the answer page with
the code filled in).

QR codes are made by segno (pure Python: PNG and SVG without Pillow, docs/decisions.md); the PDF
is HTML laid out by WeasyPrint, like the results' reports (a CJK font is needed, see
docs/operations.md). A large batch is laid out by a job (`surveys.jobs`), which keeps the made
file in the media storage under a name fixed by the batch, the language and the site's address;
a batch's codes never change, so a made file stays right."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable

import segno
import weasyprint
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from kaohe.core.fonts import CJK_FAMILIES, check_fonts
from kaohe.surveys.models import CodeBatch, Survey

SLIPS_PER_PAGE, COLUMNS = 18, 3  # 3 columns × 6 rows of 63 × 44 mm on A4 (a table: WeasyPrint
# lays tables out in time linear in the codes, ~25 ms a code; a grid grows faster than that)


def inline_limit() -> int:
    """Batches up to this many codes are laid out while the office waits; larger ones by a job
    (docs/performance.md has the measured times)."""
    return int(getattr(settings, "KAOHE_SURVEY_SHEET_INLINE", 100))


def short_address(base: str) -> str:
    """Where a code is typed in (the answer pages, `surveys.public_urls`, at /s/)."""
    return base.rstrip("/") + reverse("answer:enter")


def code_address(base: str, code: str) -> str:
    """The absolute address a code's QR holds: `base` is the site's origin (https://host)."""
    return base.rstrip("/") + reverse("answer:code", kwargs={"code": code})


def link_address(base: str, survey: Survey) -> str:
    """The absolute address of the survey's open link."""
    return base.rstrip("/") + reverse("answer:link", kwargs={"token": survey.link_token})


def qr(text: str) -> segno.QRCode:
    return segno.make_qr(text, error="m")


def qr_png(text: str, *, scale: int = 8) -> bytes:
    """A PNG of the QR code of `text` with the standard quiet zone of four modules."""
    out = io.BytesIO()
    qr(text).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(text: str) -> str:
    """The QR code as an inline SVG element scaled by its box (for the sheet), with its quiet
    zone of four modules."""
    return str(qr(text).svg_inline(scale=1, border=4, omitsize=True))


Progress = Callable[[int], None]


def _codes(batch: CodeBatch) -> list[str]:
    return list(batch.codes.order_by("code").values_list("code", flat=True))


def sheet_pdf(batch: CodeBatch, base: str, progress: Progress | None = None) -> tuple[bytes, int]:
    """The batch's code sheet: (PDF bytes, pages)."""
    check_fonts()
    survey: Survey = batch.survey
    codes = _codes(batch)
    slips = []
    for i, code in enumerate(codes):
        slips.append({"code": code, "qr": qr_svg(code_address(base, code))})
        if progress is not None and i % 200 == 199:
            progress(int(60 * (i + 1) / len(codes)))
    rows = [slips[i : i + COLUMNS] for i in range(0, len(slips), COLUMNS)]
    per_page = SLIPS_PER_PAGE // COLUMNS
    pages = [rows[i : i + per_page] for i in range(0, len(rows), per_page)]
    html = render_to_string(
        "surveys/pdf/code_sheet.html",
        {
            "survey": survey,
            "group": batch.group,
            "batch": batch,
            "pages": pages,
            "short_address": short_address(base),
            "fonts": CJK_FAMILIES,
            "made": timezone.now(),
        },
    )
    document = weasyprint.HTML(string=html).render()
    if progress is not None:
        progress(90)
    return document.write_pdf(), len(document.pages)


def codes_zip(batch: CodeBatch, base: str, progress: Progress | None = None) -> bytes:
    """A ZIP of one PNG per code (`<code>.png`), with a CSV of the codes and their addresses."""
    codes = _codes(batch)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed
        lines = ["code,address"]
        for i, code in enumerate(codes):
            address = code_address(base, code)
            archive.writestr(f"{code}.png", qr_png(address))
            lines.append(f"{code},{address}")
            if progress is not None and i % 200 == 199:
                progress(int(90 * (i + 1) / len(codes)))
        archive.writestr("codes.csv", "\n".join(lines) + "\n")
    return out.getvalue()


KINDS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "zip": ("zip", "application/zip"),
}


def stored_name(batch: CodeBatch, what: str, base: str, language: str | None = None) -> str:
    lang = language or get_language() or settings.LANGUAGE_CODE
    site = hashlib.sha256(base.encode()).hexdigest()[:10]
    suffix = KINDS[what][0]
    return f"surveys/batches/{batch.pk}/codes-{lang}-{site}.{suffix}"


def make(batch: CodeBatch, what: str, base: str, progress: Progress | None = None) -> bytes:
    if what == "pdf":
        return sheet_pdf(batch, base, progress)[0]
    return codes_zip(batch, base, progress)


def store(batch: CodeBatch, what: str, base: str, content: bytes, language: str) -> str:
    """Keep a made sheet or ZIP (the same name again replaces it)."""
    name = stored_name(batch, what, base, language)
    if default_storage.exists(name):
        default_storage.delete(name)
    return str(default_storage.save(name, ContentFile(content)))


def stored(batch: CodeBatch, what: str, base: str) -> bytes | None:
    name = stored_name(batch, what, base)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return bytes(handle.read())


def filename(batch: CodeBatch, what: str) -> str:
    return f"kaohe-survey-{batch.survey_id}-batch-{batch.pk}.{KINDS[what][0]}"


def content_type(what: str) -> str:
    return KINDS[what][1]
