"""The public bulletin: published runs of a cycle whose results are published, read without
signing in, on the page and the API; grade and flag names translated everywhere (pages, the
Excel export); nothing unpublished, superseded or personal."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from kaohe.flows.cycles import advance_cycle
from kaohe.results import services
from kaohe.testing.results import published_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(world):  # type: ignore[no-untyped-def]
    return published_run(world)


def to_results_published(world):  # type: ignore[no-untyped-def]
    cycle = world.cycle
    while cycle.state != "published":
        cycle = advance_cycle(
            cycle, acting_user=world.users["office"], reason="测试：直接进入结果公布", override=True
        )


def test_a_run_is_public_once_its_cycle_publishes_results(world, run):  # type: ignore[no-untyped-def]
    visitor = Client()
    assert visitor.get(f"/public/results/{run.pk}/").status_code == 404  # cycle still planning
    assert visitor.get("/api/v1/public-results/").json()["results"] == []
    to_results_published(world)
    listing = visitor.get("/public/results/")
    assert (
        listing.status_code == 200
        and f'href="/public/results/{run.pk}/"' in listing.content.decode()
    )
    page = visitor.get(f"/public/results/{run.pk}/").content.decode()
    assert "东区" in page and "西区" in page and "<td>合格</td>" in page  # Chinese by default
    assert "qualified" not in page  # never a grade's code
    assert '<ul class="backward"><li>西区</li></ul>' in page  # the lowest grade
    api = visitor.get(f"/api/v1/public-results/{run.pk}/").json()
    assert [(line["unit"], line["rank"], line["grade"]) for line in api["ranking"]] == [
        ("D01", 1, "合格"),
        ("D02", 2, "不合格"),
    ]
    assert set(api) == {
        "id", "cycle", "category", "category_name", "published_at",
        "ranking", "progress_awards", "backward_list",
    }  # fmt: skip
    assert set(api["ranking"][0]) == {"rank", "unit", "name", "score", "grade", "flags", "scored"}
    # a draft run of the same cycle is not public; a correction replaces the public run
    draft = services.run_scoring(run.scheme_version, acting_user=world.admin, reason="复核")
    assert visitor.get(f"/public/results/{draft.pk}/").status_code == 404
    corrected = services.publish_scoring_run(draft, acting_user=world.admin, reason="更正数据")
    assert visitor.get(f"/public/results/{run.pk}/").status_code == 404  # superseded
    assert visitor.get(f"/public/results/{corrected.pk}/").status_code == 200


def test_grade_and_flag_names_are_translated_on_pages_and_in_the_export(world, run):  # type: ignore[no-untyped-def]
    office = Client()
    office.force_login(world.users["office"])
    page = office.get(f"/results/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Qualified<" in page and ">Unqualified<" in page and ">qualified<" not in page
    zh = office.get(f"/results/runs/{run.pk}/").content.decode()
    assert ">合格<" in zh and ">不合格<" in zh
    workbook = load_workbook(io.BytesIO(office.get(f"/results/runs/{run.pk}/export.xlsx").content))
    rows = list(workbook.active.iter_rows(values_only=True))
    grade_column = rows[0].index("等次 grade")
    assert [r[grade_column] for r in rows[1:]] == ["合格", "不合格"]
    status_column = rows[0].index("状态 status")
    assert {r[status_column] for r in rows[1:]} == {"已计分"}


def test_every_flag_has_a_name_in_both_languages():  # type: ignore[no-untyped-def]
    from django.utils import translation

    from kaohe.results.labels import RunLabels

    document = {
        "grades": [{"code": "good", "name": {"zh": "良好", "en": "Good"}}],
        "adjustments": [
            {
                "id": "statistical_fraud",
                "name": {"zh": "统计造假一票否决", "en": "Statistical fraud"},
            }
        ],
    }
    codes = ["top3", "progress_award", "interview", "veto:statistical_fraud", "borderline"]
    with translation.override("zh-hans"):
        zh = RunLabels(document)
        assert zh.grade("good") == "良好"
        assert [f.label for f in zh.flags(codes)] == [
            "前3名", "进位显著奖", "约谈", "一票否决：统计造假一票否决", "等次临界",
        ]  # fmt: skip
    with translation.override("en"):
        en = RunLabels(document)
        assert [(f.label, f.tone) for f in en.flags(codes, borderline=False)] == [
            ("top 3", "green"),
            ("progress award", "green"),
            ("interview", "red"),
            ("veto: Statistical fraud", "red"),
        ]
