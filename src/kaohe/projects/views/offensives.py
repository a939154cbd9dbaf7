"""Placeholder: replaced by the pages of this part (the base commit only wires the URLs)."""

from django.http import Http404, HttpRequest, HttpResponse


def _missing(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    raise Http404


board = _missing
my_tasks = _missing
offensive_create = _missing
offensive_detail = _missing
milestone_report = _missing
milestone_decide = _missing
milestone_evidence = _missing
