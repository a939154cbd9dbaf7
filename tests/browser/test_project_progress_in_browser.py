"""A real browser: East District's reporter reports a key project's month on its phone-sized
report page — the investment, the project completed, every milestone reached and a site photo —
then the office opens the projects map, finds the project's point drawn with its new status in
the ECharts option, follows it to the project's page and sees the photo. Screenshots in
test-artifacts/."""

from __future__ import annotations

import pytest

from kaohe.projects.models import KeyProject, ProgressReport
from kaohe.testing.browser import browser, click_through, screenshot, sign_in, signed_in_page
from kaohe.testing.projects import build_project_world, tiny_png
from kaohe.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POINTS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('project-map'));
  return chart.getOption().series.flatMap(s => s.data.map(d => [s.name, d.code, d.status, d.url]));
}"""


def test_a_unit_reports_progress_and_the_office_sees_it_on_the_map(  # type: ignore[no-untyped-def]
    live_server, monkeypatch, settings, tmp_path
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path / "media"
    pw = build_project_world(build_world())
    photo = tmp_path / "工地照片.png"
    photo.write_bytes(tiny_png(24, 16))
    base = live_server.url
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
        sign_in(page, base, "d1_reporter", PASSWORD)
        page.goto(f"{base}/projects/{pw.east.pk}/")
        click_through(page, "#report-progress")
        page.fill("#report-form input[name=month]", "2025-06")
        page.fill("#report-form input[name=invested]", "480")
        page.select_option("#report-form select[name=status]", "completed")
        for seq, day in ((1, "2025-02-20"), (2, "2025-05-30"), (3, "2025-06-28")):
            page.fill(f"#report-form input[name=milestone_{seq}]", day)
        page.fill("#report-form textarea[name=note]", "竣工验收完成")
        page.set_input_files("#id_files", str(photo))
        screenshot(page, "projects-report-phone")
        click_through(page, "#report-form button[type=submit]")
        assert page.url == f"{base}/projects/{pw.east.pk}/"
        assert "竣工验收完成" in page.locator("#reports").inner_text()
        page.close()

        office = signed_in_page(chromium, base, "office", PASSWORD)
        office.goto(f"{base}/projects/map/?cycle=2025")
        office.wait_for_function(
            "() => { const el = document.getElementById('project-map');"
            " return el && el.dataset.drawn === '1' && el.querySelector('canvas'); }"
        )
        points = {code: (name, status, url) for name, code, status, url in office.evaluate(POINTS)}
        assert points["P-001"][1] == "completed"
        legend = office.evaluate(
            "() => echarts.getInstanceByDom(document.getElementById('project-map'))"
            ".getOption().legend[0].data"
        )
        assert points["P-001"][0] in legend and len(legend) == 5
        assert points["P-001"][2] == f"/projects/{pw.east.pk}/"
        assert points["P-002"][1] in {"under_way", "behind"}
        screenshot(office, "projects-map-office")
        click_through(office, f"#map-points tr[data-project='{pw.east.pk}'] a")
        img = office.locator("img.evidence-photo").first
        img.wait_for(state="visible")
        assert office.evaluate("(el) => el.naturalWidth", img.element_handle()) == 24
        screenshot(office, "projects-detail-office")
        office.close()
    report = ProgressReport.objects.get()
    assert report.evidence.get().name == "工地照片.png"
    assert KeyProject.objects.get(pk=pw.east.pk).status == "completed"
