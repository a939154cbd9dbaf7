"""The pure numerical core of Kaohe: numpy (and scipy) only, never Django or a database."""

from .errors import DataError, EngineError, ExprError, SchemeError
from .evaluate import evaluate
from .expr import Expression, compile_expr
from .monitoring import MonitoringFrame, MonitoringResult, RuleError, evaluate_rules, parse_rules
from .provisional import ProvisionalResult, provisional_standing
from .result import EvaluationResult
from .robustness import RobustnessResult, assess_robustness
from .scheme import Scheme, SchemeChange, diff_schemes, dump_scheme, load_scheme
from .table import InputTable

__all__ = [
    "DataError",
    "EngineError",
    "EvaluationResult",
    "ExprError",
    "Expression",
    "InputTable",
    "MonitoringFrame",
    "MonitoringResult",
    "ProvisionalResult",
    "RobustnessResult",
    "RuleError",
    "Scheme",
    "SchemeChange",
    "SchemeError",
    "assess_robustness",
    "compile_expr",
    "diff_schemes",
    "dump_scheme",
    "evaluate",
    "evaluate_rules",
    "load_scheme",
    "parse_rules",
    "provisional_standing",
]
