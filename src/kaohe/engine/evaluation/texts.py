"""The plain-language notes of the evaluation statistics, in Chinese and English.

The engine keeps its own texts (no gettext): the platform shows them as they are. Every note is
a pair (zh, en) of format strings; `say` picks the language.
"""

from __future__ import annotations

from typing import Final, Literal

Lang = Literal["zh", "en"]

NOTES: Final[dict[str, tuple[str, str]]] = {
    # Surveys.
    "group_none": (
        "群体“{group}”没有有效回答，未计入加权指数",
        "group {group!r} has no answers and is left out of the weighted index",
    ),
    "group_few": (
        "群体“{group}”仅有 {n} 份有效回答（少于 {min_n} 份），样本过小，未计入加权指数，"
        "其满意率仅供参考",
        "group {group!r} has only {n} answers (fewer than {min_n}): too few to estimate, left "
        "out of the weighted index; its rate is shown for information only",
    ),
    "renormalised": (
        "权重已在回答足够的群体间重新归一：{weights}",
        "weights renormalised over the groups with enough answers: {weights}",
    ),
    "no_index": (
        "没有任何群体达到 {min_n} 份有效回答，不计算加权指数",
        "no group has {min_n} or more answers: no weighted index",
    ),
    "zero_variance": (
        "参与计算的群体回答完全一致，区间宽度为零，仅反映抽样误差为零的假设；请同时参看各群体的"
        "Wilson 区间",
        "every answer in the groups used is the same, so the interval has zero width; see the "
        "groups' Wilson intervals as well",
    ),
    # Expert panels.
    "dimension_untrimmed": (
        "{dimension}仅有 {m} 位专家评分（少于 3 位），未去掉最高分和最低分，直接取平均",
        "{dimension}: only {m} ratings (fewer than 3), so no highest or lowest rating is "
        "dropped; plain mean",
    ),
    "dimension_missing": (
        "{dimension}没有专家评分，总分不计算",
        "{dimension}: no ratings, so no overall score",
    ),
    "rater_far": (
        "评审专家“{rater}”的评分与其余专家去掉最高最低后的平均分平均相差 {mad:.2f} 分，"
        "超过稳健标准差 {scale:.2f} 的 {k:g} 倍；总体{direction} {bias:.2f} 分",
        "rater {rater!r} differs from the other raters' trimmed mean by {mad:.2f} points on "
        "average, more than {k:g} robust SDs ({scale:.2f}); overall {direction_en} by "
        "{bias:.2f} points",
    ),
    "rater_uncorrelated": (
        "评审专家“{rater}”的评分与其余专家评分的相关系数仅为 {r:.2f}（低于 {threshold:.2f}）",
        "rater {rater!r} correlates only {r:.2f} with the other raters (below {threshold:.2f})",
    ),
    "agreement_none": (
        "{label}：可比较的完整评分块不足（至少需要 2 位专家共同评过的 2 个项目），不计算一致性",
        "{label}: no complete block of at least 2 items rated by the same 2 raters, so no "
        "agreement is computed",
    ),
    "agreement_block": (
        "{label}：一致性按 {items} 个项目 × {raters} 位专家的完整评分块计算（另有 {left} 个评分"
        "因回避或未分配而不在块内）",
        "{label}: agreement computed on the complete block of {items} items × {raters} raters "
        "({left} ratings outside the block, recused or not assigned)",
    ),
    "agreement": (
        "{label}：肯德尔和谐系数 W = {w:.3f}（{w_band}），组内相关系数 ICC(2,1) = {icc1:.3f}"
        "（{icc1_band}），ICC(2,k) = {icck:.3f}（{icck_band}）",
        "{label}: Kendall's W = {w:.3f} ({w_band_en}), ICC(2,1) = {icc1:.3f} ({icc1_band_en}), "
        "ICC(2,k) = {icck:.3f} ({icck_band_en})",
    ),
    "agreement_constant": (
        "{label}：所有评分相同或没有差异，一致性系数无定义",
        "{label}: the ratings do not vary, so the agreement coefficients are undefined",
    ),
}

# Kendall's W, the Landis & Koch (1977) bands as the R package effectsize applies them to W
# (`interpret_kendalls_w`, rules "landis1977"): lower bounds of each band.
W_BANDS: Final[tuple[tuple[float, str, str], ...]] = (
    (0.0, "轻微一致", "slight agreement"),
    (0.2, "一般一致", "fair agreement"),
    (0.4, "中等一致", "moderate agreement"),
    (0.6, "较强一致", "substantial agreement"),
    (0.8, "几乎完全一致", "almost perfect agreement"),
)

# ICC, Koo & Li (2016): below 0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, above 0.9 excellent.
ICC_BANDS: Final[tuple[tuple[float, str, str], ...]] = (
    (-float("inf"), "信度差", "poor reliability"),
    (0.5, "信度中等", "moderate reliability"),
    (0.75, "信度良好", "good reliability"),
    (0.9, "信度优秀", "excellent reliability"),
)


def say(key: str, lang: Lang, **values: object) -> str:
    """The note `key` in `lang` with its values filled in."""
    zh, en = NOTES[key]
    return (zh if lang == "zh" else en).format(**values)


def band(value: float, bands: tuple[tuple[float, str, str], ...], lang: Lang) -> str:
    """The band `value` falls in (a value on a boundary belongs to the upper band, except that
    Koo & Li's "excellent" starts strictly above 0.9)."""
    if value != value:  # NaN
        return "无定义" if lang == "zh" else "undefined"
    chosen = bands[0]
    for entry in bands:
        lower = entry[0]
        if value > lower or (value == lower and not (bands is ICC_BANDS and lower == 0.9)):
            chosen = entry
    return chosen[1] if lang == "zh" else chosen[2]
