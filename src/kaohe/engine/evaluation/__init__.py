"""Evaluation by people (PRODUCT.md § 4): survey statistics (群众评议) and expert panels
(四维评价), pure numpy and scipy.

- `survey`: Likert answers per unit × respondent group — satisfaction rate with its Wilson
  interval, mean score on 0–100, response rate against the quota, and the group-weighted
  index with a stratified standard error and a normal interval (`survey_results`; matrix
  questions, one respondent rating many units, through `matrix_results`).
- `panel`: ratings of items × raters × dimensions — the mean after dropping one highest and one
  lowest rating (去掉一个最高分和一个最低分), the weighted total, agreement per dimension and
  outlying raters (`aggregate_panel`).
- `agreement`: Kendall's W with the tie correction, Shrout & Fleiss ICC(2,1) and ICC(2,k), the
  complete block used when ratings are missing.
- `intervals`: Wilson and normal intervals. `texts`: the zh/en notes and interpretation bands.

See docs/engine.md, "Evaluation by people".
"""

from .agreement import ICC, KendallW, complete_block, icc_2, kendall_w
from .intervals import normal_interval, wilson_interval, z_value
from .panel import (
    DIMENSIONS,
    Agreement,
    PanelResult,
    aggregate_panel,
    leave_one_out_means,
    trimmed_means,
)
from .survey import LikertScale, SurveyResult, matrix_results, survey_results

__all__ = [
    "DIMENSIONS",
    "ICC",
    "Agreement",
    "KendallW",
    "LikertScale",
    "PanelResult",
    "SurveyResult",
    "aggregate_panel",
    "complete_block",
    "icc_2",
    "kendall_w",
    "leave_one_out_means",
    "matrix_results",
    "normal_interval",
    "survey_results",
    "trimmed_means",
    "wilson_interval",
    "z_value",
]
