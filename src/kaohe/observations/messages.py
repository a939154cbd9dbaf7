"""Upload errors in the reader's language.

A refused batch names every problem as a `RowError` whose rule is English: the pure parsers
(`kaohe.observations.excel`, `kaohe.observations.csvfile`) import no Django, the REST API and
the stream hand the rule texts to programs that key on them, and a batch keeps its rejected
rows as data. The pages translate them here: each rule template is an English msgid with
``%(name)s`` placeholders; it is matched against a rule text (the placeholders become named
groups of a regex) and the same msgid, translated, is filled with the values found.

The service rules (`kaohe.observations.services`) are the constants below, so they always
match; the parsers' rules are repeated in `PARSER_RULES`, and a test checks that every rule
text the parsers can produce is matched there. A text no template matches is shown as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop, pgettext_lazy

from kaohe.core.errors import RowError

# --- the rules of the recording service (kaohe.observations.services) ----------------------

BATCH_EMPTY = gettext_noop("the batch is empty")
UNKNOWN_UNIT = gettext_noop("unknown unit code")
NOT_ASSESSED = gettext_noop("not an assessed unit")
UNKNOWN_INDICATOR = gettext_noop("unknown indicator code")
NOT_ACTIVE = gettext_noop("not an active catalogue indicator")
DERIVED_NOT_SENT = gettext_noop("derived indicators are computed, not sent")
NO_SUCH_PERIOD = gettext_noop("no such time node in any cycle")
DUPLICATE_IN_BATCH = gettext_noop("duplicate of row %(row)s in this batch")
# one answer for a unit code that does not exist and one the sender may not report: a
# reporter learns nothing of the codes outside their scope
NOT_YOUR_UNIT = gettext_noop("not a unit you may report values for")
DEPARTMENT_REPORTS = gettext_noop(
    "only the responsible department reports this indicator, not the unit itself"
)
NOT_ONE_S_OWN_JUDGE = gettext_noop(
    "a department does not report its own value of an indicator it judges others by"
)
CYCLE_CLOSED = gettext_noop("the cycle is closed: its values can no longer change")
ANNUAL_ONLY = gettext_noop("an annual indicator is reported for the year, not this period")
QUARTERLY_ONLY = gettext_noop(
    "a quarterly indicator is reported for quarters and the year, not a month"
)
LOCKED_NEEDS_REASON = gettext_noop("the period is locked: a correction needs a reason")
CHANGE_NEEDS_REASON = gettext_noop("changing a recorded value needs a reason")
WRONG_MEASURE = gettext_noop("the indicator is measured in %(expected)s")

# --- the rules of a value (kaohe.indicators.values: one reading for every door) -------------
# The texts repeat values.py's (makemessages needs literals); a test holds them equal.

VALUE_RULES = (
    gettext_noop(
        "not a number: enter a plain decimal number such as 12.5 or -3.5 "
        "(no formula, unit, thousands separator or %%)"
    ),
    gettext_noop("at most 6 decimal places"),
    gettext_noop("must be a finite number below 10^17"),
    gettext_noop("a value is required"),
    gettext_noop("a graded value is required"),
    gettext_noop("a count is a whole number"),
    gettext_noop("a count cannot be negative"),
    gettext_noop("not one of the grades of this indicator (%(labels)s)"),
    gettext_noop("the catalogue lists no grades for this indicator"),
    gettext_noop("below the lowest plausible value %(min)s"),
    gettext_noop("above the highest plausible value %(max)s"),
)

# --- the rules for evidence files (kaohe.observations.evidence) -----------------------------

EVIDENCE_TOO_MANY = gettext_noop("at most %(count)s evidence files per batch")
EVIDENCE_EMPTY = gettext_noop("the evidence file is empty")
EVIDENCE_TOO_LARGE = gettext_noop("larger than %(mb)s MB")
EVIDENCE_TYPE = gettext_noop("not an accepted type (%(allowed)s)")
EVIDENCE_CONTENT = gettext_noop("the content is not a .%(suffix)s file")

EVIDENCE_RULES = (
    EVIDENCE_TOO_MANY,
    EVIDENCE_EMPTY,
    EVIDENCE_TOO_LARGE,
    EVIDENCE_TYPE,
    EVIDENCE_CONTENT,
)

SERVICE_RULES = (
    BATCH_EMPTY,
    UNKNOWN_UNIT,
    NOT_ASSESSED,
    UNKNOWN_INDICATOR,
    NOT_ACTIVE,
    DERIVED_NOT_SENT,
    NO_SUCH_PERIOD,
    DUPLICATE_IN_BATCH,
    NOT_YOUR_UNIT,
    DEPARTMENT_REPORTS,
    NOT_ONE_S_OWN_JUDGE,
    CYCLE_CLOSED,
    ANNUAL_ONLY,
    QUARTERLY_ONLY,
    LOCKED_NEEDS_REASON,
    CHANGE_NEEDS_REASON,
    WRONG_MEASURE,
)

# --- the rules of the parsers (excel.py, csvfile.py: keep in step with their texts) ---------

PARSER_RULES = (
    # both parsers
    gettext_noop("%(count)s more error(s) not listed (only the first %(cap)s are)"),
    gettext_noop("the file is larger than the limit of %(limit)s bytes"),
    gettext_noop("the file is empty"),
    # excel.py: the file
    gettext_noop(
        "an old-format .xls workbook or a password-protected (encrypted) file: "
        "save it as an unencrypted .xlsx workbook"
    ),
    gettext_noop("not an Excel .xlsx workbook (the file is not an .xlsx package)"),
    gettext_noop("a damaged .xlsx package (%(detail)s)"),
    gettext_noop("an encrypted zip archive, not an .xlsx workbook"),
    gettext_noop("a zip archive but not an Excel .xlsx workbook"),
    gettext_noop("the workbook unpacks to more than %(limit)s bytes"),
    gettext_noop(
        "a part of the workbook inflates more than %(limit)s times "
        "(a compressed bomb, not a filled-in template)"
    ),
    gettext_noop("not a readable .xlsx workbook (%(detail)s)"),
    gettext_noop("the workbook has no sheet named '%(sheet)s' (sheets: %(sheets)s)"),
    gettext_noop("too many unit rows in '%(sheet)s' (the limit is %(limit)s)"),
    # excel.py: the period, the header and the cells
    gettext_noop("cell %(cell)s holds a formula, not the period"),
    gettext_noop("the period in cell %(cell)s must be '%(period)s'"),
    gettext_noop("merged cells are not allowed in the data area"),
    gettext_noop("a formula in header cell %(cell)s"),
    gettext_noop("column %(column)s has values but no indicator code"),
    gettext_noop("indicator code repeated (first in column %(column)s)"),
    gettext_noop("not an indicator code"),
    gettext_noop("indicator column missing from the header"),
    gettext_noop("a formula in unit code cell %(cell)s"),
    gettext_noop("blank unit code in row %(row)s, which has values"),
    gettext_noop("duplicate unit row (first on row %(row)s)"),
    gettext_noop("a formula in cell %(cell)s: enter the value itself"),
    gettext_noop("an error value in cell %(cell)s"),
    gettext_noop("a label is expected in cell %(cell)s"),
    gettext_noop("not one of the labels (%(labels)s) in cell %(cell)s"),
    gettext_noop("a date in number cell %(cell)s"),
    gettext_noop("true/false in number cell %(cell)s"),
    # csvfile.py: the file
    gettext_noop("an Excel .xlsx workbook (or another zip archive), not a CSV text file"),
    gettext_noop("an old-format Excel .xls workbook, not a CSV text file"),
    gettext_noop("UTF-16 text (Excel's 'Unicode text'): save the sheet as CSV UTF-8"),
    gettext_noop("not a text file (it holds binary data): save the sheet as CSV"),
    gettext_noop("not a text file (it holds control characters): save the sheet as CSV"),
    gettext_noop("the file is neither UTF-8 nor GB18030 text: save the sheet as CSV UTF-8"),
    gettext_noop("not a valid CSV row (%(detail)s)"),
    gettext_noop("too many rows (the limit is %(limit)s)"),
    gettext_noop("the file holds no values (every value cell is empty)"),
    # csvfile.py: the header
    gettext_noop("the first row must be the header (%(columns)s)"),
    gettext_noop("unknown column (expected %(columns)s)"),
    gettext_noop("column repeated (first in column %(column)s)"),
    gettext_noop("required column missing"),
    # csvfile.py: the rows
    gettext_noop(
        "%(fields)s fields, but the header has %(columns)s: quote a value that contains a comma"
    ),
    gettext_noop("a value in a column with no header"),
    gettext_noop("duplicate of row %(row)s (same unit, indicator and period)"),
    gettext_noop("a unit code is required"),
    gettext_noop("not one of the units of your template"),
    gettext_noop("an indicator code is required"),
    gettext_noop("not one of the indicators of your template"),
    gettext_noop("a period is required"),
    gettext_noop("the period must be '%(period)s', the period chosen for this upload"),
)

# --- the fields a rule names (a column letter or a cell range is shown as it is) ------------

FIELDS: dict[str, Promise] = {
    "unit": pgettext_lazy("upload field", "unit"),
    "indicator": pgettext_lazy("upload field", "indicator"),
    "period": pgettext_lazy("upload field", "period"),
    "value": pgettext_lazy("upload field", "value"),
    "reason": pgettext_lazy("upload field", "reason"),
    "file": pgettext_lazy("upload field", "file"),
    "sheet": pgettext_lazy("upload field", "sheet"),
    "encoding": pgettext_lazy("upload field", "encoding"),
    "header": pgettext_lazy("upload field", "header"),
    "row": pgettext_lazy("upload field", "row"),
    "evidence": pgettext_lazy("upload field", "evidence"),
    "unit_of_measure": pgettext_lazy("upload field", "unit of measure"),
    "rows": pgettext_lazy("upload field", "rows"),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


@dataclass(frozen=True)
class Rule:
    """One rule template: the English msgid and the regex that reads its values back."""

    template: str
    pattern: re.Pattern[str]


def _rule(template: str) -> Rule:
    parts: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[last : m.start()]))
        parts.append(f"(?P<{m.group(1)}>.+?)" if m.group(1) else "%")
        last = m.end()
    parts.append(re.escape(template[last:]))
    return Rule(template, re.compile("".join(parts), re.DOTALL))


RULES: tuple[Rule, ...] = tuple(
    _rule(t) for t in dict.fromkeys(SERVICE_RULES + VALUE_RULES + EVIDENCE_RULES + PARSER_RULES)
)


def match_rule(text: str) -> tuple[str, dict[str, str]] | None:
    """The template an English rule text was made from and the values it was filled with."""
    for rule in RULES:
        m = rule.pattern.fullmatch(text)
        if m is not None:
            return rule.template, m.groupdict()
    return None


def localize_rule(text: str) -> str:
    """A rule text in the active language (unchanged when no template matches it)."""
    found = match_rule(text)
    if found is None:
        return text
    template, values = found
    return gettext(template) % values


def field_label(name: str) -> str:
    """A field's name in the active language; a column letter or cell range stays as it is."""
    label = FIELDS.get(name)
    return name if label is None else str(label)


def localize_error(error: RowError) -> dict[str, Any]:
    """One row of a page's error table (row, field, rule and value) in the active language."""
    return {
        "row": error.row,
        "field": field_label(error.field),
        "rule": localize_rule(error.rule),
        "value": error.value,
    }
