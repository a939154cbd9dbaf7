"""Every write to the indicator catalogue: creation, the admission review, edits, retirement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.engine.errors import EngineError
from kaohe.engine.expr import compile_expr
from kaohe.indicators.models import AdmissionRequest, Indicator, IndicatorComponent
from kaohe.units.models import Unit

INDICATOR_FIELDS = (
    "name_zh",
    "name_en",
    "unit_zh",
    "unit_en",
    "direction",
    "frequency",
    "value_type",
    "decimals",
    "grade_labels",
    "min_value",
    "max_value",
    "responsible_department",
    "reported_by",
    "formula",
    "description_zh",
    "description_en",
    "sensitive",
    "dashboard_order",
    "dashboard_chart",
)


def validate_formula(formula: str, *, code: str) -> None:
    """A derived indicator's formula must parse in the safe expression language and name only
    catalogued indicators other than itself."""
    if not formula:
        return
    try:
        expression = compile_expr(formula, want="num")
    except EngineError as exc:
        raise ValidationError({"formula": str(exc)}) from None
    if code in expression.names:
        raise ValidationError({"formula": _("A formula cannot refer to its own indicator.")})
    known = set(
        Indicator.objects.filter(code__in=sorted(expression.names)).values_list("code", flat=True)
    )
    unknown = sorted(expression.names - known)
    if unknown:
        raise ValidationError(
            {"formula": _("Unknown indicator code(s): %(codes)s") % {"codes": ", ".join(unknown)}}
        )


def _build(code: str, fields: dict[str, Any], status: str) -> Indicator:
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValueError(f"unknown indicator field(s): {sorted(unknown)}")
    indicator = Indicator(code=code, status=status, **fields)
    indicator.full_clean()
    validate_formula(indicator.formula, code=code)
    return indicator


@transaction.atomic
def create_indicator(*, acting_user: Any, code: str, **fields: Any) -> Indicator:
    """Put an indicator straight into the catalogue (the office only)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    indicator = _build(code, fields, Indicator.Status.ACTIVE)
    indicator.save()
    audit.record(
        EventType.INDICATOR_CREATED,
        acting_user=acting_user,
        obj=indicator,
        changes=[audit.created(indicator)],
    )
    return indicator


@transaction.atomic
def set_components(
    indicator: Indicator, *, acting_user: Any, components: dict[str, tuple[Indicator, float]]
) -> list[IndicatorComponent]:
    """Define the scale / speed / quality components of a key indicator with default weights."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    before = {
        c.aspect: [c.component.code, str(c.default_weight)] for c in indicator.components.all()
    }
    indicator.components.all().delete()
    created = [
        IndicatorComponent(
            key_indicator=indicator,
            aspect=aspect,
            component=component,
            default_weight=Decimal(str(weight)),
        )
        for aspect, (component, weight) in sorted(components.items())
    ]
    for row in created:
        row.full_clean()
    IndicatorComponent.objects.bulk_create(created)
    after = {aspect: [c.code, str(w)] for aspect, (c, w) in components.items()}
    audit.record(
        EventType.INDICATOR_UPDATED,
        acting_user=acting_user,
        obj=indicator,
        extra={"components": {"before": before, "after": after}},
    )
    return created


@transaction.atomic
def propose_indicator(
    *, acting_user: Any, unit: Unit, code: str, reason: str, **fields: Any
) -> AdmissionRequest:
    """A department proposes an assessment item with its reason (准入申请)."""
    access.check_unit(acting_user, Action.SUBMIT, unit)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this should be assessed.")})
    # the proposing department reports the item unless the proposal names another
    fields.setdefault("responsible_department", unit)
    indicator = _build(code, fields, Indicator.Status.PROPOSED)
    indicator.save()
    request = AdmissionRequest.objects.create(
        indicator=indicator, proposed_by_unit=unit, proposed_by=acting_user, reason=reason
    )
    audit.record(
        EventType.INDICATOR_PROPOSED,
        acting_user=acting_user,
        obj=request,
        unit=unit,
        reason=reason,
        changes=[audit.created(indicator), audit.created(request)],
    )
    return request


def _decide(
    request: AdmissionRequest, *, acting_user: Any, approve: bool, reason: str
) -> AdmissionRequest:
    access.check_citywide(acting_user, Action.ADMINISTER)
    request = AdmissionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != AdmissionRequest.Status.PENDING:
        raise ValidationError(
            _("This request was already decided (%(status)s).")
            % {"status": request.get_status_display()}
        )
    if not approve and not reason.strip():
        raise ValidationError({"decision_reason": _("A rejection needs a reason.")})
    before_request = audit.snapshot(request)
    indicator = request.indicator
    before_indicator = audit.snapshot(indicator)
    request.status = (
        AdmissionRequest.Status.APPROVED if approve else AdmissionRequest.Status.REJECTED
    )
    request.decided_by = acting_user
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.save()
    indicator.status = Indicator.Status.ACTIVE if approve else Indicator.Status.REJECTED
    indicator.save(update_fields=["status", "updated_at"])
    audit.record(
        EventType.INDICATOR_APPROVED if approve else EventType.INDICATOR_REJECTED,
        acting_user=acting_user,
        obj=request,
        unit=request.proposed_by_unit,
        reason=reason,
        changes=[
            audit.updated(request, before_request),
            audit.updated(indicator, before_indicator),
        ],
    )
    return request


@transaction.atomic
def approve_admission(
    request: AdmissionRequest, *, acting_user: Any, reason: str = ""
) -> AdmissionRequest:
    """Admit the proposed indicator into the catalogue."""
    return _decide(request, acting_user=acting_user, approve=True, reason=reason)


@transaction.atomic
def reject_admission(
    request: AdmissionRequest, *, acting_user: Any, reason: str
) -> AdmissionRequest:
    """Refuse the proposal (e.g. routine or process work), with the reason kept."""
    return _decide(request, acting_user=acting_user, approve=False, reason=reason)


@transaction.atomic
def update_indicator(
    indicator: Indicator, *, acting_user: Any, reason: str = "", **fields: Any
) -> Indicator:
    """Edit a catalogue entry's description (the office only); the code never changes."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValueError(f"unknown indicator field(s): {sorted(unknown)}")
    before = audit.snapshot(indicator, fields.keys())
    for name, value in fields.items():
        setattr(indicator, name, value)
    indicator.full_clean()
    validate_formula(indicator.formula, code=indicator.code)
    indicator.save()
    audit.record(
        EventType.INDICATOR_UPDATED,
        acting_user=acting_user,
        obj=indicator,
        reason=reason,
        changes=[audit.updated(indicator, before)],
    )
    return indicator


@transaction.atomic
def retire_indicator(indicator: Indicator, *, acting_user: Any, reason: str) -> Indicator:
    """Take an indicator out of use; its history stays."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    before = audit.snapshot(indicator, ["status"])
    indicator.status = Indicator.Status.RETIRED
    indicator.save(update_fields=["status", "updated_at"])
    audit.record(
        EventType.INDICATOR_RETIRED,
        acting_user=acting_user,
        obj=indicator,
        reason=reason,
        changes=[audit.updated(indicator, before)],
    )
    return indicator
