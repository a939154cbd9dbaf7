"""Every write to cycles, time nodes and schemes."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.engine.errors import SchemeError
from kaohe.engine.scheme import Scheme as EngineScheme
from kaohe.engine.scheme import diff_schemes, dump_scheme, load_scheme
from kaohe.indicators.models import Frequency, Indicator
from kaohe.schemes.models import Cycle, Scheme, SchemeVersion, TimeNode
from kaohe.units.models import Category

# The four cumulative reporting periods of a year, as statistics report quarterly figures.
QUARTERLY_NODES = (
    ("Q1", TimeNode.Kind.QUARTER, "第一季度", "Q1", 3),
    ("H1", TimeNode.Kind.HALF, "上半年", "First half", 6),
    ("Q3", TimeNode.Kind.THREE_QUARTERS, "前三季度", "First three quarters", 9),
    ("Y", TimeNode.Kind.YEAR, "全年", "Full year", 12),
)


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# cumulative nodes come after the month that ends with them (M03 before Q1)
_KIND_ORDER: dict[str, int] = {TimeNode.Kind.MONTH: 0}


def _node(cycle: Cycle, code: str, kind: str, zh: str, en: str, month: int) -> TimeNode:
    year = cycle.year
    end = _month_end(year, month)
    if month == 12:
        due = dt.date(year + 1, 1, 31)
    elif kind == TimeNode.Kind.MONTH:
        due = end + dt.timedelta(days=15)
    else:
        due = end + dt.timedelta(days=20)
    return TimeNode(
        cycle=cycle,
        code=code,
        period=f"{year}{code}",
        kind=kind,
        name_zh=f"{year}年{zh}",
        name_en=f"{year} {en}",
        period_start=dt.date(year, month, 1)
        if kind == TimeNode.Kind.MONTH
        else dt.date(year, 1, 1),
        period_end=end,
        due_date=due,
        order=0,
    )


@transaction.atomic
def create_cycle(
    *,
    acting_user: Any,
    year: int,
    name_zh: str = "",
    name_en: str = "",
    monthly: bool | None = None,
) -> Cycle:
    """Open an annual cycle with its four cumulative reporting nodes (Q1, H1, Q1–Q3, year) and,
    when `monthly` (by default: when the catalogue has an active monthly indicator), the twelve
    months M01–M11 besides (December is the full year)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    cycle = Cycle(
        year=year,
        name_zh=name_zh or f"{year}年度综合考核",
        name_en=name_en or f"{year} annual assessment",
    )
    cycle.full_clean()
    cycle.save()
    if monthly is None:
        monthly = Indicator.objects.active().filter(frequency=Frequency.MONTHLY).exists()
    nodes = [
        _node(cycle, code, kind, zh, en, month) for code, kind, zh, en, month in QUARTERLY_NODES
    ]
    if monthly:
        nodes += [
            _node(
                cycle,
                f"M{m:02d}",
                TimeNode.Kind.MONTH,
                f"{m}月",
                MONTHS_EN[m - 1],
                m,
            )
            for m in range(1, 12)
        ]
    nodes.sort(key=lambda n: (n.period_end, _KIND_ORDER.get(n.kind, 1)))
    for order, node in enumerate(nodes, start=1):
        node.order = order
    TimeNode.objects.bulk_create(nodes)
    audit.record(
        EventType.CYCLE_CREATED,
        acting_user=acting_user,
        obj=cycle,
        extra={"time_nodes": [n.period for n in nodes]},
        changes=[audit.created(cycle)],
    )
    return cycle


@transaction.atomic
def advance_cycle(
    cycle: Cycle, *, acting_user: Any, reason: str = "", overridden: Sequence[str] = ()
) -> Cycle:
    """Move the cycle to its next stage; stages are never skipped (a closed cycle goes back
    only by `reopen_cycle`). What the stage needs is checked by `kaohe.flows.cycles`, which
    passes what the office chose to go on without as `overridden`."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    target = cycle.next_state
    if target is None:
        raise ValidationError(_("The cycle is closed; it has no next stage."))
    before = audit.snapshot(cycle, ["state"])
    cycle.state = target
    cycle.save(update_fields=["state", "updated_at"])
    audit.record(
        EventType.CYCLE_ADVANCED,
        acting_user=acting_user,
        obj=cycle,
        reason=reason,
        extra={"from": before["state"], "to": target}
        | ({"overridden": list(overridden)} if overridden else {}),
        changes=[audit.updated(cycle, before)],
    )
    return cycle


def ensure_open(cycle: Cycle) -> None:
    """Refuse any change to what a closed cycle holds (its goals, warnings, runs; values are
    refused row by row by the ingestion pipeline)."""
    # read the stored stage: an object loaded earlier may hold a stage that has since moved
    if Cycle.objects.filter(pk=cycle.pk, state=Cycle.State.CLOSED).exists():
        raise ValidationError(
            _(
                "%(cycle)s is closed: nothing of it changes until the office reopens it "
                "with a reason."
            )
            % {"cycle": cycle}
        )


@transaction.atomic
def reopen_cycle(cycle: Cycle, *, acting_user: Any, reason: str) -> Cycle:
    """Open a closed cycle again for a correction (back to "results published"), with the
    reason; closing it again goes through the stage checks."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state != Cycle.State.CLOSED:
        raise ValidationError(
            _("Only a closed cycle is reopened; %(cycle)s is at the stage: %(state)s.")
            % {"cycle": cycle, "state": cycle.get_state_display()}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the closed cycle is reopened.")})
    before = audit.snapshot(cycle, ["state"])
    cycle.state = Cycle.State.PUBLISHED
    cycle.save(update_fields=["state", "updated_at"])
    audit.record(
        EventType.CYCLE_REOPENED,
        acting_user=acting_user,
        obj=cycle,
        reason=reason,
        changes=[audit.updated(cycle, before)],
    )
    return cycle


@transaction.atomic
def lock_time_node(node: TimeNode, *, acting_user: Any, reason: str = "") -> TimeNode:
    """Close a reporting period: later values for it need a correction with a reason."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    before = audit.snapshot(node, ["locked"])
    node.locked = True
    node.save(update_fields=["locked", "updated_at"])
    audit.record(
        EventType.TIME_NODE_LOCKED,
        acting_user=acting_user,
        obj=node,
        reason=reason,
        changes=[audit.updated(node, before)],
    )
    return node


@dataclass(frozen=True)
class ParsedScheme:
    """A validated scheme document in its canonical forms."""

    scheme: EngineScheme
    yaml_text: str
    document: dict[str, Any]
    fingerprint: str


def parse_scheme_text(text: str) -> ParsedScheme:
    """Validate a YAML scheme with the engine; errors become a ValidationError naming the line."""
    try:
        scheme = load_scheme(text)
    except SchemeError as exc:
        raise ValidationError({"yaml_text": str(exc)}) from None
    canonical = dump_scheme(scheme)
    return ParsedScheme(
        scheme=scheme,
        yaml_text=canonical,
        document=scheme.to_dict(),
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def _base_code(code: str) -> str:
    return code.split("@", 1)[0]


def missing_inputs(parsed: ParsedScheme) -> list[str]:
    """Input codes of the scheme that are not active indicators in the catalogue. A milestones
    input is not an indicator: it names a major task of the cycle (`kaohe.projects`)."""
    records = parsed.scheme.milestone_codes
    codes = sorted({_base_code(c) for c in parsed.scheme.input_codes} - records)
    known = set(Indicator.objects.active().filter(code__in=codes).values_list("code", flat=True))
    return [c for c in codes if c not in known]


@transaction.atomic
def create_scheme(
    *,
    acting_user: Any,
    cycle: Cycle,
    category: Category,
    code: str,
    name_zh: str,
    name_en: str = "",
    yaml_text: str,
    change_note: str = "",
) -> SchemeVersion:
    """Create a scheme for a category and cycle with its first (draft) version."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    parsed = parse_scheme_text(yaml_text)
    scheme = Scheme(cycle=cycle, category=category, code=code, name_zh=name_zh, name_en=name_en)
    scheme.full_clean()
    scheme.save()
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=1,
        yaml_text=parsed.yaml_text,
        document=parsed.document,
        fingerprint=parsed.fingerprint,
        change_note=change_note,
        created_by=acting_user,
    )
    audit.record(
        EventType.SCHEME_CREATED,
        acting_user=acting_user,
        obj=scheme,
        extra={"version": 1, "fingerprint": parsed.fingerprint},
        changes=[audit.created(scheme), audit.created(version)],
    )
    return version


def _for_year(text: str, old: int, new: int) -> str:
    return text.replace(str(old), str(new))


@transaction.atomic
def copy_scheme(
    source: SchemeVersion, *, acting_user: Any, cycle: Cycle, code: str = ""
) -> SchemeVersion:
    """Start a cycle's scheme from a copy of another cycle's version (usually last year's
    published one): same category and document, the year in its code and names moved on. The
    copy is a draft, to be revised and published."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    old_year, new_year = source.scheme.cycle.year, cycle.year
    if old_year == new_year:
        raise ValidationError({"cycle": _("Copy a scheme into another cycle than its own.")})
    scheme = source.scheme
    code = code.strip() or (
        _for_year(scheme.code, old_year, new_year)
        if str(old_year) in scheme.code
        else f"{scheme.code}-{new_year}"
    )
    if Scheme.objects.filter(code=code).exists():
        raise ValidationError(
            {"code": _("A scheme with the code %(code)s exists.") % {"code": code}}
        )
    return create_scheme(
        acting_user=acting_user,
        cycle=cycle,
        category=scheme.category,
        code=code,
        name_zh=_for_year(scheme.name_zh, old_year, new_year),
        name_en=_for_year(scheme.name_en, old_year, new_year),
        yaml_text=source.yaml_text,
        change_note=_("Copied from %(scheme)s, version %(number)s.")
        % {"scheme": scheme.code, "number": source.number},
    )


@transaction.atomic
def create_scheme_version(
    scheme: Scheme,
    *,
    acting_user: Any,
    yaml_text: str | None = None,
    change_note: str = "",
) -> SchemeVersion:
    """A new draft version, from YAML text or (when None) a copy of the latest version."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    latest = scheme.versions.select_for_update().order_by("-number").first()
    if latest is not None and latest.status == SchemeVersion.Status.DRAFT:
        raise ValidationError(
            _("Version %(number)s is still a draft: edit it instead of starting another.")
            % {"number": latest.number}
        )
    source = yaml_text if yaml_text is not None else (latest.yaml_text if latest else "")
    parsed = parse_scheme_text(source)
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=(latest.number + 1) if latest else 1,
        yaml_text=parsed.yaml_text,
        document=parsed.document,
        fingerprint=parsed.fingerprint,
        change_note=change_note,
        based_on=latest,
        created_by=acting_user,
    )
    audit.record(
        EventType.SCHEME_VERSION_CREATED,
        acting_user=acting_user,
        obj=version,
        extra={"based_on": latest.number if latest else None, "fingerprint": parsed.fingerprint},
        changes=[audit.created(version)],
    )
    return version


@transaction.atomic
def update_scheme_draft(
    version: SchemeVersion, *, acting_user: Any, yaml_text: str, change_note: str = ""
) -> SchemeVersion:
    """Replace a draft's document; a published version refuses."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_editable:
        raise ValidationError(
            _("%(version)s is %(status)s and cannot change; start a new version.")
            % {"version": version, "status": version.get_status_display()}
        )
    parsed = parse_scheme_text(yaml_text)
    before = audit.snapshot(version, ["fingerprint", "change_note"])
    old_document = version.document
    version.yaml_text = parsed.yaml_text
    version.document = parsed.document
    version.fingerprint = parsed.fingerprint
    if change_note:
        version.change_note = change_note
    version.save()
    audit.record(
        EventType.SCHEME_VERSION_UPDATED,
        acting_user=acting_user,
        obj=version,
        extra={"diff": scheme_diff_rows(old_document, parsed.document)},
        changes=[audit.updated(version, before)],
    )
    return version


@transaction.atomic
def publish_scheme_version(
    version: SchemeVersion, *, acting_user: Any, reason: str = ""
) -> SchemeVersion:
    """Publish a draft: it becomes immutable and the previously published version superseded.
    Every input it reads must be an active indicator of the catalogue."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != SchemeVersion.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    parsed = parse_scheme_text(version.yaml_text)
    missing = missing_inputs(parsed)
    if missing:
        raise ValidationError(
            _("The scheme reads inputs that are not in the indicator catalogue: %(codes)s")
            % {"codes": ", ".join(missing)}
        )
    previous = list(
        SchemeVersion.objects.select_for_update().filter(
            scheme=version.scheme, status=SchemeVersion.Status.PUBLISHED
        )
    )
    for old in previous:
        old.status = SchemeVersion.Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
    before = audit.snapshot(version, ["status"])
    version.status = SchemeVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = acting_user
    version.save()
    audit.record(
        EventType.SCHEME_VERSION_PUBLISHED,
        acting_user=acting_user,
        obj=version,
        reason=reason,
        extra={"fingerprint": version.fingerprint, "superseded": [v.number for v in previous]},
        changes=[audit.updated(version, before)],
    )
    return version


def scheme_diff_rows(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """A structural diff of two scheme documents, node by node (see engine.diff_schemes)."""
    return [
        {"change": c.change, "path": c.path, "field": c.field, "before": c.old, "after": c.new}
        for c in diff_schemes(load_scheme(old), load_scheme(new))
    ]
