"""Unit pages: the units a user may see, and one unit's page."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kaohe import charts
from kaohe.core import access
from kaohe.core.errors import BatchRejected
from kaohe.core.roles import Action
from kaohe.observations.dashboards import unit_figures
from kaohe.units import selectors, services
from kaohe.units.filters import UnitFilterSet
from kaohe.units.forms import CityMapUploadForm
from kaohe.units.geojson import aspect_scale, read_upload
from kaohe.units.models import Category, CityMap, Person, Post, Unit


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    """Assessed units in scope, grouped by comparison category."""
    filters = UnitFilterSet(
        request.GET,
        queryset=Unit.objects.restrict(request.user)
        .filter(is_assessed=True)
        .select_related("category"),
        request=request,
    )
    by_category: dict[int, list[Unit]] = defaultdict(list)
    for unit in filters.qs:
        if unit.category_id is not None:
            by_category[unit.category_id].append(unit)
    categories = [
        {"category": c, "units": by_category[c.pk]}
        for c in Category.objects.select_related("parent")
        if by_category.get(c.pk)
    ]
    return render(request, "units/unit_list.html", {"groups": categories, "filters": filters})


@login_required
def city_map(request: HttpRequest) -> HttpResponse:
    """The current map of the city's units, drawn, with its earlier versions; the office
    uploads a new version here (a refused file lists every problem and stores nothing)."""
    can_upload = access.has_citywide(request.user, Action.ADMINISTER)
    form = CityMapUploadForm()
    errors: list[Any] = []
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied(_("Uploading the city map needs the office's grant."))
        form = CityMapUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                made = services.upload_city_map(
                    acting_user=request.user,
                    content=read_upload(upload, upload.size),
                    note=form.cleaned_data["note"],
                )
            except BatchRejected as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    _("Version %(version)s of the city map is now current.")
                    % {"version": made.version},
                )
                return redirect("units:map")
    current = CityMap.current()
    names = selectors.map_unit_names(current) if current is not None else []
    context = {
        "current": current,
        "option": charts.region_map(
            "city",
            [(code, name, None, None) for code, name in names],
            aspect_scale=aspect_scale(current.geojson) if current is not None else 0.75,
        ),
        "versions": CityMap.objects.select_related("created_by")[:20],
        "off_the_map": selectors.districts_off_the_map(current),
        "can_upload": can_upload,
        "form": form,
        "errors": errors,
    }
    status = 400 if errors or form.errors else 200
    return render(request, "units/city_map.html", context, status=status)


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One unit: who it is, its divisions and staff, and its key figures over time."""
    unit: Unit = get_object_or_404(
        Unit.objects.restrict(request.user).select_related("category"), code=code
    )
    subtree = Unit.objects.subtree(unit)
    divisions = [u for u in subtree if u.pk != unit.pk]
    posts = Post.objects.restrict(request.user).filter(unit__in=subtree).select_related("unit")
    people = {p.post_id: p for p in Person.objects.restrict(request.user).filter(unit=unit)}
    years, figures = unit_figures(request.user, unit)
    return render(
        request,
        "units/unit_detail.html",
        {
            "unit": unit,
            "divisions": divisions,
            "posts": [(post, people.get(post.pk)) for post in posts],
            "staff_count": len(people),
            "figures": figures,
            "years": years,
        },
    )
