"""PDF reports made by jobs: a unit's diagnosis and a run's bulletin, laid out by WeasyPrint
with the CJK fonts the project's setup installs. A page of the PDF is rendered to an image
(pdfium) and the Chinese title is checked glyph by glyph: drawn with a CJK font, with ink inside
each character box, and no two characters alike (missing glyphs would all be the same empty
box). Reports are kept with their hash, downloaded under the scope of what they describe, and
the bulletin of a public run is public."""

from __future__ import annotations

import ctypes
import hashlib

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from kaohe.core import fonts
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Job
from kaohe.flows.cycles import advance_cycle
from kaohe.results import jobs
from kaohe.results.models import Report, UnitResult
from kaohe.testing.jobs import run_queued_jobs
from kaohe.testing.results import published_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(world):  # type: ignore[no-untyped-def]
    return published_run(world)


@pytest.fixture
def queued(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Jobs are queued when their transaction commits: `with queued():` commits them."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def make_diagnosis(world, run, queued, code="D01", user="office"):  # type: ignore[no-untyped-def]
    result = UnitResult.objects.select_related("unit").get(run=run, unit__code=code)
    with translation.override("zh-hans"), queued():
        job = jobs.start_diagnosis_pdf(result, acting_user=world.users[user])
    assert run_queued_jobs() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    return Report.objects.get(pk=job.result_id)


def glyphs(pdf: bytes, first: int, count: int):  # type: ignore[no-untyped-def]
    """Font name and rendered bitmap (grey, 4× scale) of characters first…first+count-1 of
    page 1."""
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    text = page.get_textpage()
    scale = 4
    image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
    height = page.get_height()
    out = []
    for index in range(first, first + count):
        name = ctypes.create_string_buffer(256)
        flags = ctypes.c_int()
        pdfium_raw.FPDFText_GetFontInfo(text.raw, index, name, 256, ctypes.byref(flags))
        left, bottom, right, top = text.get_charbox(index)
        box = image.crop(
            (
                int(left * scale),
                int((height - top) * scale),
                int(right * scale),
                int((height - bottom) * scale),
            )
        )
        out.append((name.value.decode(), box))
    return text.get_text_range(), out


def ink(box) -> float:  # type: ignore[no-untyped-def]
    """Share of dark pixels in the inner 70% of a character box (an empty box glyph is an
    outline: almost nothing inside)."""
    w, h = box.size
    inner = box.crop((int(w * 0.15), int(h * 0.15), int(w * 0.85), int(h * 0.85)))
    histogram = inner.histogram()  # pixels per grey level 0…255
    return sum(histogram[:128]) / max(1, sum(histogram))


def test_the_diagnosis_pdf_renders_chinese_with_the_installed_fonts(world, run, queued):  # type: ignore[no-untyped-def]
    report = make_diagnosis(world, run, queued)
    pdf = bytes(report.content)
    assert pdf.startswith(b"%PDF-")
    assert (report.kind, report.unit, report.language) == ("diagnosis", world.d1, "zh-hans")
    assert report.sha256 == hashlib.sha256(pdf).hexdigest() and report.byte_size == len(pdf)
    assert report.pages == len(pdfium.PdfDocument(pdf)) >= 1
    text, title = glyphs(pdf, 0, 4)
    assert text.startswith("东区 · 绩效诊断")
    for font, box in title[:2] + title[-1:]:  # 东, 区 and 效 (the · between is not CJK)
        assert "CJK" in font, font
        assert ink(box) > 0.08, font
    bitmaps = [box.tobytes() for font, box in title if "CJK" in font]
    assert len(set(bitmaps)) == len(bitmaps)
    assert "提高" in text or "类别中位数" in text  # the Chinese narrative, not English
    event = AuditEvent.objects.get(event_type=EventType.REPORT_MADE)
    assert event.extra_data["sha256"] == report.sha256


def test_reports_are_downloaded_within_the_scope_of_their_unit(world, run, queued):  # type: ignore[no-untyped-def]
    report = make_diagnosis(world, run, queued, "D01", user="d1_reporter")
    own, other = Client(), Client()
    own.force_login(world.users["d1_reporter"])
    other.force_login(world.users["d2_reporter"])
    page = own.get(f"/results/reports/{report.pk}/")
    assert page.status_code == 200 and page["Content-Type"] == "application/pdf"
    assert page.content == bytes(report.content)
    assert own.get(f"/api/v1/reports/{report.pk}/pdf/").content == bytes(report.content)
    assert [r["id"] for r in own.get("/api/v1/reports/").json()["results"]] == [report.pk]
    assert other.get(f"/results/reports/{report.pk}/").status_code == 404
    assert other.get(f"/api/v1/reports/{report.pk}/pdf/").status_code == 404
    assert other.get("/api/v1/reports/").json()["results"] == []
    # nor can the other district ask for it
    assert other.post(f"/results/runs/{run.pk}/units/D01/diagnosis/pdf/").status_code == 404
    answer = other.post(f"/api/v1/scoring-runs/{run.pk}/units/D01/diagnosis/pdf/")
    assert answer.status_code == 404
    assert Job.objects.filter(kind=jobs.REPORT_KIND).count() == 1
    # a second PDF is a new report; the first is kept as it was
    again = make_diagnosis(world, run, queued, "D01", user="d1_reporter")
    assert again.pk != report.pk and Report.objects.get(pk=report.pk).sha256 == report.sha256


def test_the_bulletin_pdf_is_public_with_its_run(world, run, queued):  # type: ignore[no-untyped-def]
    office = Client()
    office.force_login(world.users["office"])
    with queued():
        answer = office.post(f"/api/v1/scoring-runs/{run.pk}/bulletin/")
    assert answer.status_code == 202
    assert run_queued_jobs() == 1
    report = Report.objects.get(kind="bulletin")
    text = pdfium.PdfDocument(bytes(report.content))[0].get_textpage().get_text_range()
    assert "东区" in text and "西区" in text
    visitor = Client()
    assert visitor.get(f"/public/results/{run.pk}/bulletin.pdf").status_code == 404  # not public
    cycle = world.cycle
    while cycle.state != "published":
        cycle = advance_cycle(
            cycle, acting_user=world.users["office"], reason="测试：直接公布", override=True
        )
    page = visitor.get(f"/public/results/{run.pk}/").content.decode()
    assert f"/public/results/{run.pk}/bulletin.pdf" in page
    download = visitor.get(f"/public/results/{run.pk}/bulletin.pdf")
    assert download.content == bytes(report.content)
    assert visitor.get(f"/api/v1/public-results/{run.pk}/bulletin-pdf/").status_code == 200
    # a district may not make the bulletin
    reporter = Client()
    reporter.force_login(world.users["d1_reporter"])
    assert reporter.post(f"/api/v1/scoring-runs/{run.pk}/bulletin/").status_code == 403


def test_no_pdf_without_a_chinese_font(world, run, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(fonts, "cjk_fonts", lambda: ())
    result = UnitResult.objects.select_related("unit").get(run=run, unit__code="D01")
    with pytest.raises(ValidationError) as refused:
        jobs.start_diagnosis_pdf(result, acting_user=world.users["office"])
    assert "No Chinese font is installed on this server" in refused.value.messages[0]
    assert not Job.objects.exists()
