"""One package per report notebook. Each has ``compute.py`` (pure DataFrame in,
DataFrame out; reads nothing), ``charts.py``, ``text.py`` (sentences) and ``page.py``
(reads the page's inputs once and assembles sections and headlines)."""
