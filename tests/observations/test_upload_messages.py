"""Every rule text an upload can be refused with is shown in Chinese on the pages.

The parsers (excel.py, csvfile.py) write English rule texts and import no Django; the pages
translate them through `kaohe.observations.messages`. The rule texts are read here from the
parsers' source — every string passed as a rule to `errors.add`, `_reject` or `RowError`,
f-strings filled with sample values — so a rule added to a parser without a template fails.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
from collections.abc import Iterable, Iterator
from types import ModuleType

import pytest
from django.utils import translation

from kaohe.core.errors import RowError
from kaohe.indicators import values
from kaohe.observations import csvfile, excel, messages
from kaohe.observations.messages import localize_error, localize_rule, match_rule

# Names a Chinese rule text may keep: file formats and encodings, as Chinese Excel shows them.
TECHNICAL = {"Excel", "xlsx", "xls", "zip", "CSV", "UTF", "GB", "Unicode"}
# where a call passes the rule: errors.add(row, field, RULE, …), _reject(field, RULE, …),
# RowError(row, field, RULE, …)
RULE_ARGUMENT = {"add": 2, "_reject": 1, "RowError": 2}
SAMPLE = "Q7"


def _assignments(nodes: Iterable[ast.AST]) -> dict[str, list[ast.expr]]:
    """The values assigned to each plain name among `nodes`."""
    found: dict[str, list[ast.expr]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
    return found


def _constants(node: ast.expr) -> list[str]:
    """The texts of a constant or of a chain of conditional expressions of constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def _samples(node: ast.expr, names: dict[str, list[ast.expr]]) -> list[str]:
    """Every text an expression can make, with sample values for what only runs can tell."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name):
        return [text for value in names.get(node.id, []) for text in _samples(value, names)]
    if isinstance(node, ast.JoinedStr):
        parts = [_samples(value, names) for value in node.values]
        return ["".join(p) for p in itertools.product(*parts)]
    if isinstance(node, ast.FormattedValue):
        inner = node.value
        options: list[str] = []
        if isinstance(inner, ast.Name):
            options = [t for value in names.get(inner.id, []) for t in _constants(value)]
        spec = ast.unparse(node.format_spec) if node.format_spec else ""
        if not options:
            options = [format(5_242_880, ",") if "," in spec else SAMPLE]
        return [repr(t) if node.conversion == ord("r") else t for t in options]
    if isinstance(node, ast.Attribute) and ast.unparse(node) == "exc.rule":
        # a rule of the one reading of a value (kaohe.indicators.values), filled with samples
        return [re.sub(r"%\((\w+)\)s", SAMPLE, t) for t in values.RULES]
    raise AssertionError(f"a rule made in a way this test cannot read: {ast.unparse(node)}")


def parser_rules(module: ModuleType) -> Iterator[tuple[int, str]]:
    """(line, rule text) for every rule the module's parser can write."""
    tree = ast.parse(inspect.getsource(module))
    module_names = _assignments(tree.body)  # the module's own constants
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    for function in functions:
        names = {**module_names, **_assignments(ast.walk(function))}
        for call in ast.walk(function):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            position = RULE_ARGUMENT.get(name)
            if position is None or len(call.args) <= position:
                continue
            if name == "add" and not (
                isinstance(func, ast.Attribute) and ast.unparse(func.value) == "errors"
            ):
                continue
            rule = call.args[position]
            if isinstance(rule, ast.Name) and rule.id not in names:
                continue  # the rule handed on by `_Errors.add` (a parameter)
            for text in _samples(rule, names):
                yield call.lineno, text


PARSER_TEXTS = sorted(
    {
        (m.__name__.rsplit(".", 1)[1], line, text)
        for m in (excel, csvfile)
        for line, text in parser_rules(m)
    }
)


def test_the_parsers_rules_are_all_found() -> None:
    texts = {text for _, _, text in PARSER_TEXTS}
    assert len(texts) >= 50  # a rewrite of the parsers this test cannot follow shows here
    assert "merged cells are not allowed in the data area" in texts
    assert "the file is empty" in texts
    assert f"duplicate unit row (first on row {SAMPLE})" in texts
    assert "true/false in number cell Q7" in texts
    assert "the file is larger than the limit of 5,242,880 bytes" in texts
    assert values.NOT_A_NUMBER in texts and values.TOO_PRECISE in texts
    assert "the workbook has no sheet named '数据填报' (sheets: Q7)" in texts


def test_every_parser_template_is_still_used() -> None:
    """A template whose parser text was reworded would silently stop matching: none is stale."""
    used = {found[0] for _, _, text in PARSER_TEXTS if (found := match_rule(text))}
    assert [t for t in messages.PARSER_RULES if t not in used] == []


def _english_words_left(rule: str, chinese: str) -> set[str]:
    """English words of a translation once the values filled into it are taken out."""
    found = match_rule(rule)
    assert found is not None
    for value in sorted(found[1].values(), key=len, reverse=True):
        chinese = chinese.replace(value, " ")
    return set(re.findall(r"[A-Za-z]+", chinese)) - TECHNICAL


@pytest.mark.parametrize(("module", "line", "rule"), PARSER_TEXTS)
def test_every_parser_rule_is_translated(module: str, line: int, rule: str) -> None:
    assert match_rule(rule) is not None, f"{module}.py:{line}: no template for {rule!r}"
    with translation.override("zh-hans"):
        chinese = localize_rule(rule)
    assert chinese != rule
    assert not _english_words_left(rule, chinese), f"{module}.py:{line}: {chinese!r}"
    with translation.override("en"):
        assert localize_rule(rule) == rule


@pytest.mark.parametrize("template", messages.SERVICE_RULES)
def test_every_service_rule_is_translated(template: str) -> None:
    rule = template % dict.fromkeys(re.findall(r"%\((\w+)\)s", template), "12")
    with translation.override("zh-hans"):
        chinese = localize_rule(rule)
    assert chinese != rule
    assert not _english_words_left(rule, chinese), chinese
    with translation.override("en"):
        assert localize_rule(rule) == rule


def test_the_value_rules_are_the_templates_of_the_one_reading() -> None:
    """messages.py repeats values.py's rule texts for makemessages: they stay equal."""
    assert [t.replace("%%", "%") for t in messages.VALUE_RULES] == list(values.RULES)


@pytest.mark.parametrize("template", messages.VALUE_RULES)
def test_every_value_rule_is_translated(template: str) -> None:
    rule = template % dict.fromkeys(re.findall(r"%\((\w+)\)s", template), "A")
    with translation.override("zh-hans"):
        chinese = localize_rule(rule)
    assert chinese != rule
    assert not _english_words_left(rule, chinese), chinese


def test_values_are_carried_into_the_translation() -> None:
    with translation.override("zh-hans"):
        assert localize_rule("duplicate of row 3 in this batch") == "与本批第3行重复"
        assert localize_rule("below the lowest plausible value -100") == "低于合理下限-100"
        assert (
            localize_rule("a formula in cell D7: enter the value itself")
            == "单元格D7中含有公式：请直接填写数值"
        )
        assert localize_rule(values.NOT_A_NUMBER).endswith("千位分隔符或%）")
        assert (
            localize_rule("the period must be '2025Q3', the period chosen for this upload")
            == "报送期间须为本次上传所选的“2025Q3”"
        )


def test_a_rule_without_a_template_is_shown_as_it_is() -> None:
    with translation.override("zh-hans"):
        assert localize_rule("something nobody foresaw") == "something nobody foresaw"
        assert localize_rule("the file is empty, really") == "the file is empty, really"


def test_fields_are_named_and_column_letters_kept() -> None:
    with translation.override("zh-hans"):
        row = localize_error(RowError(5, "unit", "unknown unit code", "D99"))
        assert row == {"row": 5, "field": "单位", "rule": "单位代码不存在", "value": "D99"}
        assert localize_error(RowError(4, "C", "an error value in cell C4"))["field"] == "C"
        merged = localize_error(
            RowError(4, "C4:D5", "merged cells are not allowed in the data area")
        )
        assert merged["field"] == "C4:D5"
        assert [localize_error(RowError(0, f, "x"))["field"] for f in messages.FIELDS] == [
            "单位",
            "指标",
            "报送期间",
            "数值",
            "原因",
            "文件",
            "工作表",
            "编码",
            "表头",
            "行",
            "佐证材料",
            "计量单位",
            "数据行",
        ]
    with translation.override("en"):
        assert localize_error(RowError(5, "unit", "unknown unit code", "D99"))["field"] == "unit"
