"""The vocabulary of the scheme language: format version, identifier patterns, the allowed
values of each enumerated key, and the parameters each scoring method takes (docs/scheme-format.md).
"""

from __future__ import annotations

import re
from typing import Any

FORMAT_VERSION = 1
SCHEME_ID = re.compile(r"^[a-z0-9_.-]+$")
NODE_ID = re.compile(r"^[a-z0-9_]+$")
CODE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(@[A-Za-z0-9_]+)?$")
PERIOD = re.compile(r"^[A-Za-z0-9_]+$")
AGGREGATES = ("sum", "weighted_mean", "geometric", "harmonic")
DIRECTIONS = ("higher", "lower")
INPUT_TYPES = ("number", "count", "rate", "grade", "milestones")
ASPECTS = ("scale", "speed", "quality")
IMPUTE_MODES = ("zero", "category_min", "category_mean", "value")
ADJUSTMENT_KINDS = ("bonus", "deduction", "veto")


REQUIRED = object()  # marks a required parameter


# parameter kinds: "num", "num_or_input", "positive", "nonneg", "share", "bool", "int",
# "pair", "numbers", "map", "direction", or a tuple of allowed strings
METHOD_PARAMS: dict[str, dict[str, tuple[Any, Any]]] = {
    "target": {
        "target": ("num_or_input", REQUIRED),
        "mode": (("all_or_nothing", "proportional"), "all_or_nothing"),
        "cap": ("positive", 1.0),
        "direction": ("direction", None),
    },
    "rank": {
        "step": ("nonneg", 0.05),
        "floor": ("share", 0.0),
        "direction": ("direction", None),
    },
    "target_rank": {
        "target": ("num_or_input", REQUIRED),
        "base": ("share", REQUIRED),
        "step": ("nonneg", 0.05),
        "direction": ("direction", None),
    },
    "band": {
        "target": ("num_or_input", REQUIRED),
        "base": ("nonneg", None),
        "step": ("positive", 1.0),
        "relative": ("bool", False),
        "bonus_per_step": ("nonneg", 0.0),
        "bonus_cap": ("nonneg", 0.0),
        "penalty_per_step": ("nonneg", None),
        "floor": ("nonneg", 0.0),
        "whole_steps": ("bool", False),
        "direction": ("direction", None),
    },
    "efficacy": {
        "low": ("num_or_input", REQUIRED),
        "satisfactory": ("num_or_input", REQUIRED),
        "clip": ("pair", (0.0, 100.0)),
        "direction": ("direction", None),
    },
    "interpolate": {
        "baseline": ("num_or_input", REQUIRED),
        "benchmark": ("num_or_input", REQUIRED),
        "floor": ("share", 0.0),
        "below": (("zero", "floor"), "zero"),
        "direction": ("direction", None),
    },
    "goalpost": {
        "min": ("num", REQUIRED),
        "max": ("num", REQUIRED),
        "log": ("bool", False),
        "cap": ("bool", True),
        "direction": ("direction", None),
    },
    "zscore": {"clip_z": ("positive", 3.0), "direction": ("direction", None)},
    "frontier": {"mode": (("ratio", "minmax"), "ratio"), "direction": ("direction", None)},
    "events": {"per_event": ("positive", REQUIRED), "cap": ("nonneg", None)},
    "graded": {"map": ("map", REQUIRED)},
    "ratio": {
        "full": ("num_or_input", REQUIRED),
        "cap": ("positive", 1.0),
        "direction": ("direction", None),
    },
    "identity": {},
    "milestones": {
        "roles": ("map", REQUIRED),
        "late": ("share", 0.5),
        "per_day": ("nonneg", 0.0),
        "floor": ("share", 0.0),
        "grace_days": ("nonneg", 0.0),
        "missed": ("share", 0.0),
        "none_due": (("full", "not_scored"), "full"),
    },
}

ADJUSTMENT_METHODS: dict[str, dict[str, tuple[Any, Any]]] = {
    "graded_points": {"map": ("map", REQUIRED)},
    "rank_points": {"points": ("numbers", REQUIRED)},
    "events": {"per_event": ("positive", REQUIRED), "cap": ("nonneg", None)},
    "value": {},
}

LABEL_METHODS = ("graded", "graded_points")
RECORD_METHODS = ("milestones",)  # methods whose input column holds structured records
