"""The REST API takes the CSV door's format as a `text/csv` body, through the same parser."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.observations.models import IngestionBatch, ObservationVersion

pytestmark = pytest.mark.django_db

HEADER = "unit,indicator,period,value,reason\r\n"


def test_the_api_takes_the_same_csv_as_a_text_csv_body(world):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.users["d1_reporter"])
    before = ObservationVersion.objects.count()
    bad = (HEADER + "D01,gdp,2025Q3,1900,\r\nD01,gdp_growth,2025Q3,-250,\r\n").encode()
    refused = client.post("/api/v1/observations/", bad, content_type="text/csv")
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {
            "row": 3,
            "field": "value",
            "rule": "below the lowest plausible value -100",
            "value": "-250",
        }
    ]
    outside = (HEADER + "D02,gdp,2025Q3,1,\r\n").encode()
    refused = client.post("/api/v1/observations/", outside, content_type="text/csv")
    assert refused.json()["errors"] == [
        {
            "row": 2,
            "field": "unit",
            "rule": "not a unit you may report values for",
            "value": "D02",
        }
    ]
    assert ObservationVersion.objects.count() == before

    good = (HEADER + "D01,gdp,2025Q3,1900,\r\nD01,gdp_growth,2025Q3,6.5,\r\n").encode()
    first = client.post(
        "/api/v1/observations/", good, content_type="text/csv", HTTP_IDEMPOTENCY_KEY="csv-1"
    )
    again = client.post(
        "/api/v1/observations/", good, content_type="text/csv", HTTP_IDEMPOTENCY_KEY="csv-1"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert IngestionBatch.objects.get().source == "api"
    assert ObservationVersion.objects.count() == before + 2
