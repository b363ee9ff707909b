"""Allow ``python -m solihull_analytics``."""

from solihull_analytics.cli import app

app(prog_name="solihull-analytics")
