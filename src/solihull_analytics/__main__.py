"""Allow ``python -m solihull_analytics``."""

from solihull_analytics.cli import run

run()
