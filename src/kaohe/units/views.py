"""Unit pages: the units a user may see, and one unit's page."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kaohe.observations.dashboards import unit_figures
from kaohe.units.filters import UnitFilterSet
from kaohe.units.models import Category, Person, Post, Unit


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
