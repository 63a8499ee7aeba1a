"""The portal's settings, with one page more: a trivial signed-in view,
the baseline each page of benchmarks/pages.py is measured against."""

from portal.settings import *  # noqa: F401, F403

ROOT_URLCONF = "benchmarks.bench_urls"
