"""The main pages and API lists that speed is held to (issue 14): the page-cache tests and
`bench/bench_pages.py` both use this list. `D01` is a district of the test world and of the
demo city alike."""

MAIN_PAGES = [
    "/overview/",
    "/results/provisional/",
    "/monitoring/",
    "/observations/units/D01/",
    "/goals/portfolios/",
    "/screen/",
    "/api/v1/units/",
    "/api/v1/observations/",
    "/api/v1/goal-sets/",
]
