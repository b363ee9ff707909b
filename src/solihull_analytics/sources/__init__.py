"""One module per source of published data.

Each module reads its raw files (from ``data/raw/``, located through the catalogue) and declares
the processed tables it builds with :func:`solihull_analytics.build.table`.

- ``geo``: ONS lookups (LSOA 2001/2011/2021, wards, LA hierarchy) and boundary layers.
- ``iod``: English Indices of Deprivation (IDACI, IMD, population denominators), every release.
- ``cla``: DfE children looked after at 31 March, all CLA and UASC, 2006 onwards.
- ``population``: ONS population aged 0-17 by LA and mid-year, by vintage.
- ``census``: Census 2011/2021 and small-area population estimates at LSOA/MSOA/LA.
- ``cin``: DfE children in need, referrals, child protection plans and workforce.
- ``neighbours``: DfE children's services statistical neighbours (April 2021 and 2025 models).
"""
