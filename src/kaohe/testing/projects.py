"""The key projects test world: the city map of both districts and two projects of 2025 — one
of East District's (owned and located there, planned 100 a month with three milestones), one of
West District's — and small real image files."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kaohe.projects import services
from kaohe.projects.models import KeyProject
from kaohe.testing.maps import as_file, square_map
from kaohe.testing.world import World
from kaohe.units import services as unit_services
from kaohe.units.models import CityMap


def tiny_png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real PNG image of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return (
            struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def project_data(code: str, owner: str, district: str, lon: float, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": code,
        "name_zh": f"{code}号重点项目",
        "name_en": f"Key project {code}",
        "owner": owner,
        "district": district,
        "category": "industry",
        "longitude": Decimal(str(lon)),
        "latitude": Decimal("30.05"),
        "planned_start": dt.date(2025, 1, 1),
        "planned_end": dt.date(2025, 12, 31),
        "total_investment": Decimal("1200"),
        "status": KeyProject.Status.UNDER_WAY,
        "plan": {f"2025-{m:02d}": Decimal("100") for m in range(1, 13)},
        "milestones": [
            {"seq": 1, "name_zh": "开工", "name_en": "Start", "due": dt.date(2025, 2, 28)},
            {"seq": 2, "name_zh": "主体完工", "name_en": "Structure", "due": dt.date(2025, 9, 30)},
            {
                "seq": 3,
                "name_zh": "竣工验收",
                "name_en": "Acceptance",
                "due": dt.date(2025, 12, 31),
            },
        ],
    }
    data.update(extra)
    return data


@dataclass
class ProjectWorld:
    world: World
    city_map: CityMap
    east: KeyProject  # East District's (D01)
    west: KeyProject  # West District's (D02)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)

    @property
    def office(self) -> Any:
        return self.world.users["office"]


def build_project_world(world: World) -> ProjectWorld:
    office = world.users["office"]
    city_map = unit_services.upload_city_map(
        acting_user=office, content=as_file(square_map(["D01", "D02"]))
    )
    east = services.register_project(
        world.cycle, project_data("P-001", "D01", "D01", 120.05), acting_user=office
    )
    west = services.register_project(
        world.cycle, project_data("P-002", "D02", "D02", 120.15), acting_user=office
    )
    return ProjectWorld(world=world, city_map=city_map, east=east, west=west)
