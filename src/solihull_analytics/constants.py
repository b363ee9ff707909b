"""Constants shared across the package: one home, so that each is written once.

Facts about published releases (labels, years, files) are not constants: they live in
``data/releases.yaml`` and are read through :mod:`solihull_analytics.releases`.
"""

from __future__ import annotations

#: ONS/GSS code for England, as DfE and ONS publish it.
ENGLAND_CODE = "E92000001"
#: Solihull Metropolitan Borough Council, the suite's default local authority.
SOLIHULL_LA_CODE = "E08000029"
#: Rates in children's services are per 10,000 children aged 0-17.
PER_10K = 10_000
