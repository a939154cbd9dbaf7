"""The code's one hand-written query (`services.find_code`) builds the code, its survey, the
survey's version and the code's group exactly as the ORM's select_related of the same join
does: every concrete field equal, of the same type, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from kaohe.surveys import services
from kaohe.surveys.models import AccessCode
from kaohe.testing.surveys import make_survey

pytestmark = pytest.mark.django_db


def fields_of(instance) -> dict[str, tuple[type, object]]:  # type: ignore[no-untyped-def]
    return {
        f.attname: (type(getattr(instance, f.attname)), getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
    }


def test_find_code_builds_what_the_orm_builds(world):
    ts = make_survey(world, codes=3)
    code = ts.codes[1]
    found = services.find_code(code.code.lower())  # typed as a phone would, lower case
    orm = AccessCode.objects.select_related("survey__version", "group").get(pk=code.pk)
    assert fields_of(found) == fields_of(orm)
    assert fields_of(found.survey) == fields_of(orm.survey)
    assert fields_of(found.survey.version) == fields_of(orm.survey.version)
    assert fields_of(found.group) == fields_of(orm.group)
    assert found.survey.version.questions == orm.survey.version.questions != []
    assert found.survey.opened_at is not None and found.survey.opened_at == orm.survey.opened_at
    assert not found._state.adding and found.survey._state.db == orm.survey._state.db


def test_an_unknown_code_is_refused_and_a_burned_one_is_used(world):
    ts = make_survey(world, codes=2)
    with pytest.raises(services.Refused) as unknown:
        services.find_code("ZZZZZZZZ")
    assert unknown.value.status == 404
    AccessCode.objects.filter(pk=ts.codes[0].pk).update(burned=True)
    with pytest.raises(services.Refused) as used:
        services.find_code(ts.codes[0].code)
    assert used.value.status == 410
