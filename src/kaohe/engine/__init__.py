"""The pure numerical core of Kaohe: numpy (and scipy) only, never Django or a database."""

from .errors import DataError, EngineError, ExprError, SchemeError
from .evaluate import EvaluationResult, InputTable, evaluate
from .expr import Expression, compile_expr
from .robustness import RobustnessResult, assess_robustness
from .scheme import Scheme, SchemeChange, diff_schemes, dump_scheme, load_scheme

__all__ = [
    "DataError",
    "EngineError",
    "EvaluationResult",
    "ExprError",
    "Expression",
    "InputTable",
    "RobustnessResult",
    "Scheme",
    "SchemeChange",
    "SchemeError",
    "assess_robustness",
    "compile_expr",
    "diff_schemes",
    "dump_scheme",
    "evaluate",
    "load_scheme",
]
