"""Agreement between raters: Kendall's W with the tie correction and the intraclass
correlations ICC(2,1) / ICC(2,k) of Shrout & Fleiss (1979), on a complete items × raters block.

Kendall's W ranks each rater's ratings over the items (average ranks for ties):

    W = 12 S / (m² (n³ − n) − m Σ_raters Σ_ties (t³ − t)),   S = Σ_items (R_i − m(n + 1)/2)²

for n items and m raters (Kendall & Babington Smith 1939; the correction as in Siegel 1956,
§ 9). χ² = m (n − 1) W on n − 1 degrees of freedom (the large-sample test).

ICC from the two-way ANOVA of the n × k block (targets × judges), random judges, absolute
agreement (Shrout & Fleiss case 2; McGraw & Wong's ICC(A,1) / ICC(A,k)):

    ICC(2,1) = (BMS − EMS) / (BMS + (k − 1) EMS + k (JMS − EMS) / n)
    ICC(2,k) = (BMS − EMS) / (BMS + (JMS − EMS) / n)

`complete_block` finds the block used when ratings are missing (recusal, not assigned).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2, rankdata

from .texts import ICC_BANDS, W_BANDS, Lang, band

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class KendallW:
    """Kendall's coefficient of concordance of m raters over n items."""

    w: float  # corrected for ties
    w_uncorrected: float
    s: float  # Σ (R_i − mean R)²
    tie_term: float  # Σ over raters and ties of t³ − t
    chi2: float
    df: int
    p_value: float
    items: int
    raters: int

    def band(self, lang: Lang = "zh") -> str:
        """Landis & Koch (1977) band of W (as the R package effectsize applies them)."""
        return band(self.w, W_BANDS, lang)


@dataclass(frozen=True)
class ICC:
    """Shrout & Fleiss ICC(2,1) and ICC(2,k) with the mean squares of the two-way ANOVA."""

    icc21: float
    icc2k: float
    bms: float  # between targets (items)
    jms: float  # between judges (raters)
    ems: float  # residual
    items: int
    raters: int

    def band(self, single: bool = True, lang: Lang = "zh") -> str:
        """Koo & Li (2016) band of ICC(2,1) (single) or ICC(2,k)."""
        return band(self.icc21 if single else self.icc2k, ICC_BANDS, lang)


def _check_block(block: npt.ArrayLike) -> FloatArray:
    y = np.asarray(block, dtype=np.float64)
    if y.ndim != 2 or y.shape[0] < 2 or y.shape[1] < 2:
        raise ValueError(f"agreement needs a block of at least 2 items × 2 raters, got {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("agreement needs a complete block (no NaN); see complete_block")
    return y


def kendall_w(block: npt.ArrayLike) -> KendallW:
    """Kendall's W of a complete (items × raters) block; ratings or ranks alike (each rater's
    column is ranked over the items, ties sharing the average rank). NaN W when every rater
    ties all items (the denominator is 0)."""
    y = _check_block(block)
    n, m = y.shape
    ranks = rankdata(y, axis=0, method="average")
    # Σ r² over a column of average ranks is n(n+1)(2n+1)/6 − Σ(t³ − t)/12, so the tie term
    # follows exactly from the ranks (half-integers, exact in float64).
    ties = 2.0 * n * (n + 1) * (2 * n + 1) - 12.0 * np.sum(ranks * ranks, axis=0)
    tie_term = float(np.sum(np.round(ties)))
    r_sum = np.sum(ranks, axis=1)
    s = float(np.sum((r_sum - m * (n + 1) / 2.0) ** 2))
    full = m * m * (n**3 - n)
    denom = full - m * tie_term
    w = 12.0 * s / denom if denom > 0 else float("nan")
    df = n - 1
    stat = m * df * w
    return KendallW(
        w=w,
        w_uncorrected=12.0 * s / full,
        s=s,
        tie_term=tie_term,
        chi2=stat,
        df=df,
        p_value=float(chi2.sf(stat, df)) if w == w else float("nan"),
        items=n,
        raters=m,
    )


def icc_2(block: npt.ArrayLike) -> ICC:
    """ICC(2,1) and ICC(2,k) of a complete (targets × judges) block. NaN when the ratings do
    not vary at all (0 / 0)."""
    y = _check_block(block)
    n, k = y.shape
    # Exact rational arithmetic (the block is small): the mean squares, and so the ICCs, are
    # the same for any order of raters or items, and a block without residual gets EMS = 0
    # exactly instead of rounding noise that a near-zero denominator would blow up.
    cells = [[Fraction(float(v)) for v in line] for line in y.tolist()]
    row_sums = [sum(line, Fraction(0)) for line in cells]
    col_sums = [sum(column, Fraction(0)) for column in zip(*cells, strict=True)]
    total = sum(row_sums, Fraction(0))
    correction = total * total / (n * k)
    ss_total_q = sum((v * v for line in cells for v in line), Fraction(0)) - correction
    ss_rows_q = sum((s * s for s in row_sums), Fraction(0)) / k - correction
    ss_cols_q = sum((s * s for s in col_sums), Fraction(0)) / n - correction
    ss_err_q = max(ss_total_q - ss_rows_q - ss_cols_q, Fraction(0))
    bms_q = ss_rows_q / (n - 1)
    jms_q = ss_cols_q / (k - 1)
    ems_q = ss_err_q / ((n - 1) * (k - 1))
    d1 = bms_q + (k - 1) * ems_q + k * (jms_q - ems_q) / n
    dk = bms_q + (jms_q - ems_q) / n
    bms, jms, ems = float(bms_q), float(jms_q), float(ems_q)
    return ICC(
        icc21=float((bms_q - ems_q) / d1) if d1 != 0 else float("nan"),
        icc2k=float((bms_q - ems_q) / dk) if dk != 0 else float("nan"),
        bms=bms,
        jms=jms,
        ems=ems,
        items=n,
        raters=k,
    )


def complete_block(present: npt.ArrayLike) -> tuple[BoolArray, BoolArray]:
    """The items and raters of a complete block inside an (items × raters) mask of ratings.

    Items and raters without any rating go first; then, while a cell is missing, the line
    (item or rater) with the largest share of missing cells is dropped — the item first on a
    tie, then the lower index. Deterministic, and it keeps every rating when none is missing;
    it is a greedy search, not the largest block in every case. Returns (items kept, raters
    kept); either may be empty.
    """
    mask = np.asarray(present, dtype=bool)
    items: BoolArray = mask.sum(axis=1) > 0
    raters: BoolArray = mask.sum(axis=0) > 0
    while items.any() and raters.any():
        sub = mask[np.ix_(items, raters)]
        if sub.all():
            break
        miss_item = np.where(items, 0.0, -1.0)
        miss_item[items] = 1.0 - sub.mean(axis=1)
        miss_rater = np.where(raters, 0.0, -1.0)
        miss_rater[raters] = 1.0 - sub.mean(axis=0)
        worst_item = int(np.argmax(miss_item))
        worst_rater = int(np.argmax(miss_rater))
        if miss_item[worst_item] >= miss_rater[worst_rater]:
            items[worst_item] = False
        else:
            raters[worst_rater] = False
    return items, raters
