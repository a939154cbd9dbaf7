"""The default rule for assessing people, and the inputs a person's score may read.

A person's score is a small scheme in the scheme language (docs/scheme-format.md) scored by the
engine with the people as its "units" and their units as categories, so it is explained like a
unit's score. It may read only the inputs below, each on 0–100:

- `unit_result`: the unit's total in the latest published scoring run of the cycle;
- `goal_completion`: the person's share of the unit's decomposed goals, completed (see
  `kaohe.people.inputs`);
- `leader_rating`, `peer_rating`, `upward_rating`: the mean over the dimensions (德能勤绩廉)
  of the latest evaluation by that source.

The default weighs the unit's result and the person's goals most (30 each: the person shares
the unit's success and answers for their own part), then the leaders' evaluation (20), the
peers' and the anonymous upward ratings (10 each)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

INPUTS = {
    "unit_result": _("unit's result"),
    "goal_completion": _("own goals completed"),
    "leader_rating": _("leaders' evaluation"),
    "peer_rating": _("peers' evaluation"),
    "upward_rating": _("upward (anonymous) evaluation"),
}

RATING_INPUTS = {"leader": "leader_rating", "peer": "peer_rating", "upward": "upward_rating"}

DEFAULT_SCHEME = """\
kaohe_scheme: 1
id: staff
name: {zh: 公务员个人绩效得分, en: Individual performance score}
points: 100
inputs:
  unit_result:     {name: {zh: 所在单位考核得分, en: Unit's result}, unit: 分}
  goal_completion: {name: {zh: 个人分解目标完成率, en: Own goals completed}, unit: "%"}
  leader_rating:   {name: {zh: 领导评价, en: Leaders' evaluation}, unit: 分}
  peer_rating:     {name: {zh: 同事评价, en: Peers' evaluation}, unit: 分}
  upward_rating:   {name: {zh: 下级匿名评价, en: Upward evaluation (anonymous)}, unit: 分}
root:
  aggregate: sum
  children:
    - {id: unit, name: {zh: 单位绩效, en: Unit}, points: 30, input: unit_result,
       method: {type: ratio, full: 100}}
    - {id: goals, name: {zh: 个人目标, en: Own goals}, points: 30, input: goal_completion,
       method: {type: ratio, full: 100}}
    - id: evaluation
      name: {zh: 评价, en: Evaluation}
      points: 40
      aggregate: sum
      children:
        - {id: leaders, name: {zh: 领导评价, en: Leaders}, points: 20, input: leader_rating,
           method: {type: ratio, full: 100}}
        - {id: peers, name: {zh: 同事评价, en: Peers}, points: 10, input: peer_rating,
           method: {type: ratio, full: 100}}
        - {id: upward, name: {zh: 下级评价, en: Upward}, points: 10, input: upward_rating,
           method: {type: ratio, full: 100}}
ranking: {round: 2, ties: min}
"""

DEFAULT_COEFFICIENTS = {"excellent": 1.5, "competent": 1.0, "basic": 0.5, "incompetent": 0.0}
DEFAULT_MINIMUMS = {"excellent": 90, "competent": 60, "basic": 50}
DEFAULT_SHARE = 0.20  # 公务员考核规定: 优秀 generally within 20% of a unit's assessed staff
