"""The four dimensions of an excellence goal's expert evaluation (四维评价), the rating scale and
the default rubric: anchored descriptions per score band, in Chinese and English.

A rating is a whole number from 0 to 100 per dimension. A rubric is data: per dimension a list
of bands `{"low": int, "high": int, "zh": str, "en": str}` that together cover 0–100 without gap
or overlap, highest band first. The office may give a panel its own rubric; `rubric_problems`
names every band at fault."""

from __future__ import annotations

from typing import Any, Final

from django.utils.translation import gettext as _

from kaohe.engine.evaluation import DIMENSIONS

SCALE_MIN: Final = 0
SCALE_MAX: Final = 100

Band = dict[str, Any]

# Highest band first: 90–100 outstanding, 75–89 good, 60–74 fair, 0–59 weak.
DEFAULT_RUBRIC: Final[dict[str, list[Band]]] = {
    "excellence": [
        {
            "low": 90,
            "high": 100,
            "zh": "目标对标全国或全省先进水平，达成后可进入全国前列，具有标杆意义",
            "en": "Benchmarked on the national or provincial best; reaching it puts the unit "
            "among the country's leaders",
        },
        {
            "low": 75,
            "high": 89,
            "zh": "目标高于全省平均水平并对标先进城市，达成后明显领先",
            "en": "Above the provincial average and benchmarked on a leading city; a clear lead "
            "once reached",
        },
        {
            "low": 60,
            "high": 74,
            "zh": "目标略高于往年水平，对标对象一般，创优程度有限",
            "en": "Slightly above past years, an ordinary benchmark; little to excel at",
        },
        {
            "low": 0,
            "high": 59,
            "zh": "目标与常规工作无异，未体现争先创优",
            "en": "No different from routine work; nothing to excel at",
        },
    ],
    "difficulty": [
        {
            "low": 90,
            "high": 100,
            "zh": "需突破体制机制或重大技术瓶颈，跨部门协同要求高，完成难度很大",
            "en": "Needs a breakthrough in institutions or a major technical barrier and close "
            "work across departments; very hard to achieve",
        },
        {
            "low": 75,
            "high": 89,
            "zh": "需克服明显困难并协调多方资源，完成有较大挑战",
            "en": "Real obstacles and several parties' resources to bring together; a serious "
            "challenge",
        },
        {
            "low": 60,
            "high": 74,
            "zh": "有一定难度，主要依靠本单位常规力量可以完成",
            "en": "Some difficulty; the unit's usual means will do",
        },
        {
            "low": 0,
            "high": 59,
            "zh": "难度较低，按惯例推进即可完成",
            "en": "Little difficulty; done by carrying on as usual",
        },
    ],
    "innovation": [
        {
            "low": 90,
            "high": 100,
            "zh": "在全国或全省首创，形成可复制推广的制度成果或经验",
            "en": "A first in the country or province, leaving a rule or practice others can copy",
        },
        {
            "low": 75,
            "high": 89,
            "zh": "在本市首创或对外地经验有实质性改进",
            "en": "A first in the city, or a substantial improvement on practice elsewhere",
        },
        {
            "low": 60,
            "high": 74,
            "zh": "借鉴外地做法，有局部改进",
            "en": "Borrowed from elsewhere with local improvements",
        },
        {
            "low": 0,
            "high": 59,
            "zh": "沿用既有做法，无明显创新",
            "en": "Existing practice carried on; nothing new",
        },
    ],
    "benefit": [
        {
            "low": 90,
            "high": 100,
            "zh": "经济社会效益显著，群众和企业获得感强，影响面广",
            "en": "Large economic and social benefit, widely felt by citizens and enterprises",
        },
        {
            "low": 75,
            "high": 89,
            "zh": "效益明显，服务对象普遍受益",
            "en": "Clear benefit; most of those served gain from it",
        },
        {
            "low": 60,
            "high": 74,
            "zh": "有一定效益，受益范围有限",
            "en": "Some benefit, to a limited circle",
        },
        {
            "low": 0,
            "high": 59,
            "zh": "效益不明显或难以衡量",
            "en": "Benefit unclear or hard to measure",
        },
    ],
}


def default_rubric() -> dict[str, list[Band]]:
    """A fresh copy of the default rubric (a panel stores its own)."""
    return {code: [dict(band) for band in bands] for code, bands in DEFAULT_RUBRIC.items()}


def rubric_problems(rubric: Any) -> list[str]:
    """Everything wrong with a rubric, each naming the dimension, the band and the rule."""
    if not isinstance(rubric, dict):
        return [_("The rubric must give the bands of each dimension.")]
    problems = []
    unknown = sorted(set(map(str, rubric)) - set(DIMENSIONS))
    if unknown:
        problems.append(_("Unknown dimension(s): %(codes)s.") % {"codes": ", ".join(unknown)})
    for code in DIMENSIONS:
        bands = rubric.get(code)
        if not isinstance(bands, list) or not bands:
            problems.append(_("%(dimension)s: no bands.") % {"dimension": code})
            continue
        expected_high = SCALE_MAX
        for number, band in enumerate(bands, start=1):
            where = {"dimension": code, "band": number}
            if not isinstance(band, dict):
                problems.append(_("%(dimension)s, band %(band)d: not a band.") % where)
                break
            low, high = band.get("low"), band.get("high")
            if not (
                isinstance(low, int)
                and isinstance(high, int)
                and not isinstance(low, bool)
                and not isinstance(high, bool)
            ):
                problems.append(
                    _("%(dimension)s, band %(band)d: low and high must be whole numbers.") % where
                )
                break
            if high != expected_high or low > high:
                problems.append(
                    _(
                        "%(dimension)s, band %(band)d: the bands must run down from %(max)d to "
                        "%(min)d without gap or overlap (this band should end at %(high)d)."
                    )
                    % {**where, "max": SCALE_MAX, "min": SCALE_MIN, "high": expected_high}
                )
                break
            for lang in ("zh", "en"):
                text = band.get(lang)
                if not isinstance(text, str) or not text.strip() or len(text) > 500:
                    problems.append(
                        _(
                            "%(dimension)s, band %(band)d: the %(lang)s description must be "
                            "1–500 characters."
                        )
                        % {**where, "lang": lang}
                    )
            expected_high = low - 1
        else:
            if expected_high != SCALE_MIN - 1:
                problems.append(
                    _("%(dimension)s: the lowest band must start at %(min)d.")
                    % {"dimension": code, "min": SCALE_MIN}
                )
    return problems


def band_of(bands: list[Band], score: int) -> Band | None:
    """The band a score falls in."""
    return next((b for b in bands if b["low"] <= score <= b["high"]), None)
