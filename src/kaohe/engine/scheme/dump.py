"""The canonical YAML text of a scheme."""

from __future__ import annotations

import yaml

from .model import Scheme


def dump_scheme(scheme: Scheme) -> str:
    """The canonical YAML text of a scheme (keys in a fixed order; loads back equal)."""
    return yaml.safe_dump(
        scheme.to_dict(), allow_unicode=True, sort_keys=False, default_flow_style=False, width=100
    )
