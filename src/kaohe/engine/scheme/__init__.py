"""The scheme language (docs/scheme-format.md): load, validate, dump and diff schemes.

- `vocabulary`: the format version, patterns, enumerations and method parameters;
- `model`: the immutable scheme (`Scheme`, `Node`, `Method`, `Adjustment`, `Grade`, …);
- `reader`, `blocks`, `load`: `load_scheme`, which validates a YAML document (or mapping) with
  the YAML line/column and node path of every error;
- `dump`: `dump_scheme`, the canonical YAML; `diff`: `diff_schemes`, structural changes.
"""

from .diff import SchemeChange, diff_schemes
from .dump import dump_scheme
from .load import load_scheme
from .model import Grade, InputRef, Method, Node, Results, Robustness, Scheme, Text

__all__ = [
    "Grade",
    "InputRef",
    "Method",
    "Node",
    "Results",
    "Robustness",
    "Scheme",
    "SchemeChange",
    "Text",
    "diff_schemes",
    "dump_scheme",
    "load_scheme",
]
