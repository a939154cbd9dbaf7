"""The warnings board (live), one warning and its life, the cross-check page, the rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_POST

from kaohe.core import access
from kaohe.core.models import AuditEvent
from kaohe.core.roles import Action
from kaohe.indicators.models import Indicator
from kaohe.monitoring import services
from kaohe.monitoring.filters import ACTIVE, MonitoringRuleFilterSet, WarningFilterSet
from kaohe.monitoring.forms import AnswerForm, DecisionForm, RuleForm
from kaohe.monitoring.models import MonitoringRule, Warning
from kaohe.web.pagecache import cached_page


def _filtered(request: HttpRequest) -> WarningFilterSet:
    """The board's warnings: not closed unless the query asks for another state."""
    return WarningFilterSet(
        request.GET,
        queryset=Warning.objects.restrict(request.user).select_related("rule", "unit", "time_node"),
        request=request,
        defaults={"state": ACTIVE},
    )


def _board_etag(request: HttpRequest) -> str:
    """Changes whenever a warning in the user's view changes (cheap for htmx polling)."""
    latest = Warning.objects.restrict(request.user).aggregate(last=Max("updated_at"), n=Count("id"))
    query = request.GET.urlencode()
    return f'"{request.user.pk}-{latest["n"]}-{latest["last"]}-{hash(query)}"'


@login_required
@cached_page("warnings-board")
def board(request: HttpRequest) -> HttpResponse:
    def build() -> dict[str, Any]:  # run only when the cached content is stale
        filters = _filtered(request)
        counts = dict(
            Warning.objects.restrict(request.user)
            .exclude(state=Warning.State.CLOSED)
            .values_list("severity")
            .annotate(n=Count("id"))
        )
        page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
        return {"page": page, "filters": filters, "counts": counts}

    return render(
        request, "monitoring/board.html", {"build": build, "query": request.GET.urlencode()}
    )


@login_required
@condition(etag_func=_board_etag)
def board_rows(request: HttpRequest) -> HttpResponse:
    """The board's table alone, polled by htmx; 304 when nothing changed."""
    page = Paginator(_filtered(request).qs, 50).get_page(request.GET.get("page"))
    return render(request, "monitoring/_rows.html", {"page": page})


def _indicator_names(codes: set[str]) -> dict[str, str]:
    """Indicator codes → names in the reader's language (one query)."""
    english = (get_language() or "").startswith("en")
    return {
        code: (en if english and en else zh)
        for code, zh, en in Indicator.objects.filter(code__in=codes).values_list(
            "code", "name_zh", "name_en"
        )
    }


def _named(operands: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
    """A cross-check's operands keyed by the indicators' names in the reader's language."""
    names = _indicator_names(set(operands)) if names is None else names
    return {names.get(code, code): value for code, value in operands.items()}


def _local_link(value: Any) -> str:
    """A path on this site (never another site's address), or ""."""
    text = str(value or "")
    return text if text.startswith("/") and not text.startswith("//") else ""


@login_required
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    warning = get_object_or_404(
        Warning.objects.restrict(request.user).select_related("rule", "unit", "time_node"), pk=pk
    )
    user = request.user
    can_answer = warning.unit.pk in access.unit_scope(user, Action.REPORT)
    can_decide = services._may_decide(user, warning)
    history = AuditEvent.objects.filter(
        content_type__model="warning", object_id=str(warning.pk)
    ).select_related("acting_user")
    figures = [
        (k, v)
        for k, v in warning.details.items()
        if k not in {"unit", "status", "operands", "link"}
    ]
    return render(
        request,
        "monitoring/warning.html",
        {
            "warning": warning,
            "figures": figures,
            "operands": _named(warning.details.get("operands") or {}),
            # a platform rule's warning links what it is about (a key project, a major task)
            "link": _local_link(warning.details.get("link")),
            "history": history.order_by("occurred_at"),
            "can_answer": can_answer,
            "can_decide": can_decide,
            "answer_form": AnswerForm(),
            "decision_form": DecisionForm(),
        },
    )


@login_required
@require_POST
def warning_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    warning = get_object_or_404(Warning.objects.restrict(request.user), pk=pk)
    text = request.POST.get("text", "") or request.POST.get("decision", "")
    actions: dict[str, Any] = {
        "acknowledge": lambda: services.acknowledge_warning(warning, acting_user=request.user),
        "explain": lambda: services.explain_warning(
            warning, acting_user=request.user, explanation=text
        ),
        "rectify": lambda: services.rectify_warning(warning, acting_user=request.user, report=text),
        "decide": lambda: services.decide_warning(
            warning,
            acting_user=request.user,
            accept=request.POST.get("accept") == "1",
            decision=text,
        ),
    }
    if step not in actions:
        return HttpResponse(status=404)
    try:
        actions[step]()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Recorded."))
    return redirect("monitoring:warning", pk=pk)


@login_required
def cross_checks(request: HttpRequest) -> HttpResponse:
    """Cross-check warnings with the figures that disagree side by side."""
    warnings = (
        Warning.objects.restrict(request.user)
        .filter(rule__kind="cross_check")
        .select_related("rule", "unit", "time_node")
        .order_by("state", "-created_at")
    )
    shown = list(warnings[:200])
    names = _indicator_names({code for w in shown for code in (w.details.get("operands") or {})})
    rows = [
        {
            "warning": warning,
            "operands": list(_named(warning.details.get("operands") or {}, names).items()),
        }
        for warning in shown
    ]
    return render(request, "monitoring/cross_checks.html", {"rows": rows})


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    is_admin = access.has_citywide(request.user, Action.ADMINISTER)
    form = RuleForm(request.POST or None) if is_admin else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.save_rule(acting_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error("spec", exc.messages[0])
            else:
                messages.success(request, _("Rule saved."))
                return redirect("monitoring:rules")
    filters = MonitoringRuleFilterSet(
        request.GET,
        queryset=MonitoringRule.objects.annotate(open=Count("warnings")).order_by("code"),
        request=request,
    )
    return render(
        request, "monitoring/rules.html", {"rules": filters.qs, "filters": filters, "form": form}
    )
