"""solihull-analytics: children's services analytics for English local authorities.

Data flows one way:

``data/catalogue.yaml`` -> ``data/raw/`` (fetch, verified by sha256)
-> ``data/processed/*.parquet`` (build, validated by pandera schemas)
-> analysis functions (``rates``, ``deprivation``, ``areas``, ...)
-> notebooks (``notebooks/``) -> HTML pack (``report``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("solihull-analytics")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
