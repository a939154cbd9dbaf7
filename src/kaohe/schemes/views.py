"""Pages for cycles and schemes: versions, the scheme tree, YAML in and out, diffs, publishing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.flows import cycles as cycle_flow
from kaohe.schemes import services
from kaohe.schemes.filters import CycleFilterSet, SchemeFilterSet
from kaohe.schemes.forms import AdvanceForm, CycleForm, ReasonForm, SchemeCopyForm, SchemeYamlForm
from kaohe.schemes.models import Cycle, Scheme, SchemeVersion


def _label(name: Any, fallback: str) -> str:
    if isinstance(name, dict):
        if (get_language() or "").startswith("en") and name.get("en"):
            return str(name["en"])
        return str(name.get("zh") or name.get("en") or fallback)
    return str(name or fallback)


def scheme_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The scheme tree flattened for display: one row per node with its depth."""
    rows: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        method = node.get("method") or {}
        rows.append(
            {
                "depth": depth,
                "indent": depth * 1.5,
                "id": node.get("id", "root"),
                "name": _label(node.get("name"), node.get("id", "")),
                "points": node.get("points"),
                "weight": node.get("weight"),
                "aggregate": node.get("aggregate"),
                "method": method.get("type") if isinstance(method, dict) else method,
                "input": node.get("input"),
                "kind": node.get("kind", "group" if node.get("children") else "indicator"),
            }
        )
        for child in node.get("children") or []:
            walk(child, depth + 1)

    root = document.get("root") or {}
    walk({**root, "id": "root", "name": document.get("name"), "points": document.get("points")}, 0)
    for item in document.get("adjustments") or []:
        walk(item, 1)
    return rows


def _is_admin(request: HttpRequest) -> bool:
    return access.has_citywide(request.user, Action.ADMINISTER)


@login_required
def cycle_list(request: HttpRequest) -> HttpResponse:
    """The cycles with their periods and schemes; for the office, what the next stage lacks,
    the stage change (with an override), a new cycle and reopening a closed one."""
    filters = CycleFilterSet(
        request.GET,
        queryset=Cycle.objects.prefetch_related("time_nodes", "schemes"),
        request=request,
    )
    is_admin = _is_admin(request)
    cycles = list(filters.qs)
    for cycle in cycles:
        cycle.stage_gaps = cycle_flow.stage_gaps(cycle) if is_admin and cycle.next_state else []
    return render(
        request,
        "schemes/cycle_list.html",
        {
            "cycles": cycles,
            "filters": filters,
            "is_admin": is_admin,
            "form": CycleForm(),
        },
    )


@login_required
@require_POST
def cycle_create(request: HttpRequest) -> HttpResponse:
    if not _is_admin(request):
        raise PermissionDenied
    form = CycleForm(request.POST)
    if form.is_valid():
        try:
            cycle = services.create_cycle(
                acting_user=request.user,
                year=form.cleaned_data["year"],
                name_zh=form.cleaned_data["name_zh"],
                name_en=form.cleaned_data["name_en"],
                monthly=form.monthly_choice(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(cycle)s is opened.") % {"cycle": cycle})
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("schemes:cycle_list")


@login_required
@require_POST
def cycle_advance(request: HttpRequest, year: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, year=year)
    form = AdvanceForm(request.POST)
    form.is_valid()
    try:
        cycle_flow.advance_cycle(
            cycle,
            acting_user=request.user,
            reason=form.cleaned_data.get("reason", ""),
            override=form.cleaned_data.get("override", False),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The cycle moved to its next stage."))
    return redirect("schemes:cycle_list")


@login_required
@require_POST
def cycle_reopen(request: HttpRequest, year: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, year=year)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.reopen_cycle(
            cycle, acting_user=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The cycle is open again for corrections."))
    return redirect("schemes:cycle_list")


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    filters = SchemeFilterSet(
        request.GET,
        queryset=Scheme.objects.select_related("cycle", "category").prefetch_related("versions"),
        request=request,
    )
    context = {"schemes": filters.qs, "filters": filters, "is_admin": _is_admin(request)}
    if context["is_admin"]:
        context["copy_form"] = SchemeCopyForm()
    return render(request, "schemes/scheme_list.html", context)


@login_required
@require_POST
def scheme_copy(request: HttpRequest) -> HttpResponse:
    """A new cycle's scheme from a copy of another cycle's version (a draft to revise)."""
    if not _is_admin(request):
        raise PermissionDenied
    form = SchemeCopyForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("schemes:list")
    try:
        version = services.copy_scheme(
            form.cleaned_data["source"],
            acting_user=request.user,
            cycle=form.cleaned_data["cycle"],
            code=form.cleaned_data["code"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("schemes:list")
    messages.success(request, _("The copy is a draft: revise it, then publish it."))
    return redirect("schemes:detail", version.scheme.code)


@login_required
def scheme_detail(request: HttpRequest, code: str, number: int | None = None) -> HttpResponse:
    """A scheme's versions and one version's tree (the latest unless a number is given)."""
    scheme = get_object_or_404(Scheme.objects.select_related("cycle", "category"), code=code)
    versions = list(scheme.versions.select_related("created_by", "published_by"))
    if not versions:
        raise PermissionDenied
    version = (
        versions[0] if number is None else next((v for v in versions if v.number == number), None)
    )
    if version is None:
        return render(
            request,
            "web/state.html",
            {"status": 404, "title": _("Not found"), "explanation": ""},
            status=404,
        )
    form = SchemeYamlForm(initial={"yaml_text": version.yaml_text})
    return render(
        request,
        "schemes/scheme_detail.html",
        {
            "scheme": scheme,
            "versions": versions,
            "version": version,
            "rows": scheme_rows(version.document),
            "is_admin": _is_admin(request),
            "form": form,
        },
    )


@login_required
def scheme_version_yaml(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = get_object_or_404(SchemeVersion, scheme__code=code, number=number)
    response = HttpResponse(version.yaml_text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{code}-v{number}.yaml"'
    return response


@login_required
@require_POST
def scheme_save(request: HttpRequest, code: str) -> HttpResponse:
    """Save YAML: edits the draft if the latest version is one, otherwise starts a new version."""
    if not _is_admin(request):
        raise PermissionDenied
    scheme = get_object_or_404(Scheme, code=code)
    form = SchemeYamlForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, str(error))
        return redirect("schemes:detail", code=code)
    latest = scheme.latest_version
    try:
        if latest is not None and latest.is_editable:
            version = services.update_scheme_draft(
                latest,
                acting_user=request.user,
                yaml_text=form.cleaned_data["yaml_text"],
                change_note=form.cleaned_data["change_note"],
            )
        else:
            version = services.create_scheme_version(
                scheme,
                acting_user=request.user,
                yaml_text=form.cleaned_data["yaml_text"],
                change_note=form.cleaned_data["change_note"],
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("schemes:detail", code=code)
    messages.success(request, _("Saved as draft version %(n)s.") % {"n": version.number})
    return redirect("schemes:version", code=code, number=version.number)


@login_required
@require_POST
def scheme_publish(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = get_object_or_404(SchemeVersion, scheme__code=code, number=number)
    if not _is_admin(request):
        raise PermissionDenied
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.publish_scheme_version(
            version, acting_user=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Version %(n)s is published and can no longer change.") % {"n": number}
        )
    return redirect("schemes:version", code=code, number=number)


@login_required
def scheme_diff(request: HttpRequest, code: str) -> HttpResponse:
    scheme = get_object_or_404(Scheme, code=code)
    versions = {v.number: v for v in scheme.versions.all()}
    try:
        a, b = int(request.GET.get("a", "")), int(request.GET.get("b", ""))
        old, new = versions[a], versions[b]
    except (ValueError, KeyError):
        numbers = sorted(versions)
        if len(numbers) < 2:
            messages.warning(request, _("There is only one version: nothing to compare."))
            return redirect("schemes:detail", code=code)
        old, new = versions[numbers[-2]], versions[numbers[-1]]
    changes = services.scheme_diff_rows(old.document, new.document)
    return render(
        request,
        "schemes/scheme_diff.html",
        {"scheme": scheme, "old": old, "new": new, "changes": changes, "numbers": sorted(versions)},
    )
