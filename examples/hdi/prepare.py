"""Prepare the UNDP HDR 2022 components for `kaohe score`: rename `iso3` to `unit` and
`country` to `name`; every other column is kept (extra columns are ignored when scoring).

    python examples/hdi/prepare.py SRC.csv examples/hdi/hdr2022.csv

with SRC.csv = /work/shared/data/hdi/hdr2022_components.csv (UNDP HDR 2023/24, CC BY 3.0 IGO).
"""

from __future__ import annotations

import csv
import sys

RENAME = {"iso3": "unit", "country": "name"}


def main(src: str, dst: str) -> None:
    with open(src, newline="", encoding="utf-8") as fin:
        rows = list(csv.reader(fin))
    header = [RENAME.get(col, col) for col in rows[0]]
    with open(dst, "w", newline="", encoding="utf-8") as fout:
        writer = csv.writer(fout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows[1:])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
