"""Every write of the goals app, one module per job:

- `rules`: portfolio rules and review deadlines (the office), the benchmark rule of excellence
  goals, and what keeps a portfolio from being submitted;
- `drafting`: opening a portfolio and drafting its goals, targets and milestones;
- `review`: the four-level joint review (四级联审) of frozen versions;
- `decomposition`: an approved goal's shares over divisions and posts;
- `targets`: the districts' suggested targets and the office's decision on them.

Each service takes a keyword-only `acting_user`, runs in one transaction and writes its audit
event inside it; a refused call leaves nothing behind (no rows, no notifications). The names
below are the app's service interface: `from kaohe.goals import services` and call
`services.submit_goal_set(...)`. Reads of the review (who decides, who hears, comparing
versions) are in `kaohe.goals.selectors`."""

from kaohe.goals.services.decomposition import ShareRow, decompose_goal
from kaohe.goals.services.drafting import (
    GOAL_FIELDS,
    GOAL_PREFETCH,
    add_goal,
    create_goal_set,
    goal_snapshot,
    ordered_goals,
    remove_goal,
    sort_goals,
    update_goal,
)
from kaohe.goals.services.review import (
    approve_goal_set,
    approve_goal_sets_in_batch,
    return_goal_set_for_revision,
    send_review_reminders,
    submit_goal_set,
)
from kaohe.goals.services.rules import (
    check_benchmark,
    deadline_for,
    portfolio_problems,
    rules_for,
    set_portfolio_rules,
    set_review_deadline,
)
from kaohe.goals.services.targets import (
    ComputedSuggestions,
    accept_suggestion,
    adjust_suggestion,
    compute_district_suggestions,
    store_district_suggestions,
    suggest_district_targets,
)

__all__ = [
    "GOAL_FIELDS",
    "GOAL_PREFETCH",
    "ComputedSuggestions",
    "ShareRow",
    "accept_suggestion",
    "add_goal",
    "adjust_suggestion",
    "approve_goal_set",
    "approve_goal_sets_in_batch",
    "check_benchmark",
    "compute_district_suggestions",
    "create_goal_set",
    "deadline_for",
    "decompose_goal",
    "goal_snapshot",
    "ordered_goals",
    "portfolio_problems",
    "remove_goal",
    "return_goal_set_for_revision",
    "rules_for",
    "send_review_reminders",
    "set_portfolio_rules",
    "set_review_deadline",
    "sort_goals",
    "store_district_suggestions",
    "submit_goal_set",
    "suggest_district_targets",
    "update_goal",
]
