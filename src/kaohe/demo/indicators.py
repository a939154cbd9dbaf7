"""The demo city's catalogue of district development indicators (PRODUCT.md §1.4).

Sixteen key development indicators (``KEY_INDICATORS``; the tax share counts with fiscal revenue,
as its quality aspect), plus the speed and quality aspects of
some of them and the components that derived shares are computed from.  A growth rate is a
basic, reported indicator: the statistics bureau publishes real GDP growth in comparable
prices, which no formula over the nominal values reproduces.
"""

from __future__ import annotations

from kaohe.demo.model import DemoIndicator

__all__ = ["DASHBOARD", "INDICATORS", "KEY_INDICATORS"]

KEY_INDICATORS: tuple[str, ...] = (
    "gdp",
    "four_new_share",
    "fiscal_revenue",
    "fai",
    "industrial_investment_share",
    "private_investment_share",
    "fdi_actual",
    "retail_sales",
    "industry_va_growth",
    "high_tech_share",
    "exports",
    "urban_income",
    "rural_income",
    "rd_intensity",
    "energy_intensity_drop",
    "per_mu_tax",
)

# What the city overview and the unit pages show, in order, and how the overview draws each
# (the catalogue's dashboard_order and dashboard_chart).
DASHBOARD: dict[str, tuple[int, str]] = {
    "gdp": (1, "ranking"),
    "gdp_growth": (2, "trend"),
    "fiscal_revenue": (3, "compare"),
    "tax_revenue": (4, "compare"),
    "tax_share": (5, ""),
    "fai_growth": (6, ""),
}

_FGW, _CZJ, _TJJ = "DEPT_FGW", "DEPT_CZJ", "DEPT_TJJ"
_SWJ, _GXJ, _KJJ = "DEPT_SWJ", "DEPT_GXJ", "DEPT_KJJ"

_Q, _A = "quarterly", "annual"
_YI, _YI_EN = "亿元", "100 million yuan"
_PCT, _PCT_EN = "%", "%"


def _ind(
    code: str,
    name_zh: str,
    name_en: str,
    unit: tuple[str, str],
    frequency: str,
    value_type: str,
    decimals: int,
    responsible: str,
    description: tuple[str, str],
    *,
    direction: str = "higher",
    formula: str | None = None,
    aspect: tuple[str, str] | None = None,
    limits: tuple[float | None, float | None] | None = None,
) -> DemoIndicator:
    low, high = _limits(code, value_type) if limits is None else limits
    return DemoIndicator(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        unit_zh=unit[0],
        unit_en=unit[1],
        direction=direction,
        frequency=frequency,
        value_type=value_type,
        decimals=decimals,
        responsible_department=responsible,
        formula=formula,
        aspect_of=aspect[0] if aspect else None,
        aspect=aspect[1] if aspect else None,
        description_zh=description[0],
        description_en=description[1],
        min_value=low,
        max_value=high,
    )


def _limits(code: str, value_type: str) -> tuple[float | None, float | None]:
    """The plausible range by kind: an amount or count is not negative, a share or an
    intensity lies within 0–100, a growth or a drop is above −100%."""
    if value_type in {"amount", "count"}:
        return 0, None
    if code.endswith(("_share", "_intensity")):
        return 0, 100
    return -100, None


INDICATORS: tuple[DemoIndicator, ...] = (
    _ind(
        "gdp",
        "地区生产总值",
        "Gross domestic product",
        (_YI, _YI_EN),
        _Q,
        "amount",
        2,
        _TJJ,
        (
            "按当年价格计算的地区生产总值，季度累计。",
            "GDP at current prices, cumulative from January.",
        ),
        aspect=("gdp", "scale"),
    ),
    _ind(
        "gdp_growth",
        "地区生产总值增速",
        "GDP growth",
        (_PCT, _PCT_EN),
        _Q,
        "rate",
        1,
        _TJJ,
        (
            "按可比价格计算的地区生产总值累计同比增长率。",
            "Real GDP growth in comparable prices, cumulative period on the same period of the "
            "previous year.",
        ),
        aspect=("gdp", "speed"),
    ),
    _ind(
        "gdp_per_capita",
        "人均地区生产总值",
        "GDP per capita",
        ("元", "yuan"),
        _A,
        "amount",
        0,
        _TJJ,
        (
            "全年地区生产总值除以年末常住人口。",
            "Annual GDP divided by the year-end resident population.",
        ),
        formula="gdp / population * 10000",
        aspect=("gdp", "quality"),
    ),
    _ind(
        "four_new_share",
        "“四新”经济增加值占GDP比重",
        "“Four new” economy share of GDP",
        (_PCT, _PCT_EN),
        _A,
        "rate",
        1,
        _FGW,
        (
            "新技术、新产业、新业态、新模式经济增加值占地区生产总值的比重。",
            "Value added of new technologies, industries, business forms and models as a share "
            "of GDP.",
        ),
    ),
    _ind(
        "fiscal_revenue",
        "一般公共预算收入",
        "General public budget revenue",
        (_YI, _YI_EN),
        _Q,
        "amount",
        2,
        _CZJ,
        (
            "地方一般公共预算收入，季度累计。",
            "Local general public budget revenue, cumulative from January.",
        ),
        aspect=("fiscal_revenue", "scale"),
    ),
    _ind(
        "fiscal_revenue_growth",
        "一般公共预算收入增速",
        "General budget revenue growth",
        (_PCT, _PCT_EN),
        _Q,
        "rate",
        1,
        _CZJ,
        (
            "一般公共预算收入累计同比增长率。",
            "Growth of general budget revenue on the same period of the previous year.",
        ),
        aspect=("fiscal_revenue", "speed"),
    ),
    _ind(
        "tax_revenue",
        "税收收入",
        "Tax revenue",
        (_YI, _YI_EN),
        _Q,
        "amount",
        2,
        _CZJ,
        (
            "一般公共预算收入中的税收收入，季度累计。",
            "Tax revenue within general budget revenue, cumulative from January.",
        ),
    ),
    _ind(
        "tax_share",
        "税收收入占一般公共预算收入比重",
        "Tax share of general budget revenue",
        (_PCT, _PCT_EN),
        _Q,
        "rate",
        1,
        _CZJ,
        (
            "税收收入除以一般公共预算收入，反映财政收入质量。",
            "Tax revenue over general budget revenue: the quality of fiscal revenue.",
        ),
        formula="tax_revenue / fiscal_revenue * 100",
        aspect=("fiscal_revenue", "quality"),
    ),
    _ind(
        "fai",
        "固定资产投资",
        "Fixed-asset investment",
        (_YI, _YI_EN),
        _Q,
        "amount",
        2,
        _FGW,
        (
            "固定资产投资（不含农户），季度累计。",
            "Fixed-asset investment (excluding rural households), cumulative from January.",
        ),
        aspect=("fai", "scale"),
    ),
    _ind(
        "fai_growth",
        "固定资产投资增速",
        "Fixed-asset investment growth",
        (_PCT, _PCT_EN),
        _Q,
        "rate",
        1,
        _FGW,
        (
            "固定资产投资累计同比增长率。",
            "Growth of fixed-asset investment on the same period of the previous year.",
        ),
        aspect=("fai", "speed"),
    ),
    _ind(
        "industrial_investment",
        "工业投资",
        "Industrial investment",
        (_YI, _YI_EN),
        _Q,
        "amount",
        2,
        _FGW,
        (
            "固定资产投资中的工业投资，季度累计。",
            "Industrial part of fixed-asset investment, cumulative from January.",
        ),
    ),
    _ind(
        "industrial_investment_share",
        "工业投资占固定资产投资比重",
        "Industrial share of fixed-asset investment",
        (_PCT, _PCT_EN),
        _Q,
        "rate",
        1,
        _FGW,
        ("工业投资除以固定资产投资。", "Industrial investment over fixed-asset investment."),
        formula="industrial_investment / fai * 100",
    ),
    _ind(
        "private_investment",
        "民间投资",
        "Private investment",
        (_YI, _YI_EN),
        _Q,
        "amount",
        2,
        _FGW,
        (
            "固定资产投资中的民间投资，季度累计。",
            "Private part of fixed-asset investment, cumulative from January.",
        ),
    ),
    _ind(
        "private_investment_share",
        "民间投资占固定资产投资比重",
        "Private share of fixed-asset investment",
        (_PCT, _PCT_EN),
        _Q,
        "rate",
        1,
        _FGW,
        ("民间投资除以固定资产投资。", "Private investment over fixed-asset investment."),
        formula="private_investment / fai * 100",
    ),
    _ind(
        "fdi_actual",
        "实际使用外资",
        "Foreign capital actually used",
        ("亿美元", "100 million USD"),
        _Q,
        "amount",
        2,
        _SWJ,
        (
            "实际使用外商直接投资金额，季度累计。",
            "Foreign direct investment actually used, cumulative from January.",
        ),
    ),
    _ind(
        "retail_sales",
        "社会消费品零售总额",
        "Retail sales of consumer goods",
        (_YI, _YI_EN),
        _Q,
        "amount",
        2,
        _SWJ,
        (
            "社会消费品零售总额，季度累计。",
            "Total retail sales of consumer goods, cumulative from January.",
        ),
    ),
    _ind(
        "industry_va_growth",
        "规上工业增加值增速",
        "Growth of industrial value added",
        (_PCT, _PCT_EN),
        _Q,
        "rate",
        1,
        _GXJ,
        (
            "规模以上工业增加值按可比价格计算的累计同比增长率。",
            "Real growth of value added of industrial enterprises above designated size, "
            "cumulative on the same period of the previous year.",
        ),
    ),
    _ind(
        "high_tech_share",
        "高新技术产业增加值占规上工业比重",
        "High-tech share of industrial value added",
        (_PCT, _PCT_EN),
        _A,
        "rate",
        1,
        _KJJ,
        (
            "高新技术产业增加值占规模以上工业增加值的比重。",
            "Value added of high-tech industries as a share of industrial value added above "
            "designated size.",
        ),
    ),
    _ind(
        "exports",
        "出口总额",
        "Exports",
        (_YI, _YI_EN),
        _Q,
        "amount",
        2,
        _SWJ,
        (
            "货物出口总额（人民币计价），季度累计。",
            "Exports of goods in yuan, cumulative from January.",
        ),
    ),
    _ind(
        "urban_income",
        "城镇常住居民人均可支配收入",
        "Per-capita disposable income of urban residents",
        ("元", "yuan"),
        _Q,
        "amount",
        0,
        _TJJ,
        (
            "城镇常住居民人均可支配收入，季度累计。",
            "Per-capita disposable income of urban residents, cumulative from January.",
        ),
    ),
    _ind(
        "rural_income",
        "农村常住居民人均可支配收入",
        "Per-capita disposable income of rural residents",
        ("元", "yuan"),
        _Q,
        "amount",
        0,
        _TJJ,
        (
            "农村常住居民人均可支配收入，季度累计。",
            "Per-capita disposable income of rural residents, cumulative from January.",
        ),
    ),
    _ind(
        "rd_intensity",
        "R&D经费投入强度",
        "R&D intensity",
        (_PCT, _PCT_EN),
        _A,
        "rate",
        2,
        _KJJ,
        (
            "研究与试验发展经费支出占地区生产总值的比重。",
            "Research and experimental development expenditure as a share of GDP.",
        ),
    ),
    _ind(
        "energy_intensity_drop",
        "单位GDP能耗下降率",
        "Drop in energy use per unit of GDP",
        (_PCT, _PCT_EN),
        _A,
        "rate",
        1,
        _FGW,
        (
            "单位地区生产总值能耗比上年下降的百分比（负数表示上升）。",
            "Fall in energy consumption per unit of GDP on the previous year (negative: a rise).",
        ),
    ),
    _ind(
        "per_mu_tax",
        "规上工业亩均税收",
        "Tax per mu of industrial land",
        ("万元/亩", "10,000 yuan per mu"),
        _A,
        "amount",
        1,
        _GXJ,
        (
            "规模以上工业企业税收除以用地面积（亩均论英雄）。",
            "Tax paid by industrial enterprises above designated size per mu of land they use.",
        ),
    ),
    _ind(
        "population",
        "常住人口",
        "Resident population",
        ("万人", "10,000 persons"),
        _A,
        "amount",
        2,
        _TJJ,
        ("年末常住人口。", "Year-end resident population."),
        limits=(1, 5000),
    ),
)
