"""Placeholder: replaced by the pages of this part (the base commit only wires the URLs)."""

from django.http import Http404, HttpRequest, HttpResponse


def _missing(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    raise Http404


project_list = _missing
project_map = _missing
project_create = _missing
project_import = _missing
import_template = _missing
schedule_check = _missing
project_detail = _missing
project_edit = _missing
report_progress = _missing
evidence_file = _missing
