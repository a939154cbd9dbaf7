"""Settings of the survey bench's server: Kaohe's own, with the bench's URLs in front (the
bare endpoint). Bench only — product code never knows it."""

from kaohe.settings import *  # noqa: F403

ROOT_URLCONF = "bench_survey_urls"
