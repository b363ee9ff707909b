"""How processed tables are declared: the :func:`table` decorator, its registry and errors.

Each processed table is declared once, next to the code that reads its source::

    @table("iod_lsoa", inputs=["iod2019_file3", ...], schema=IOD_LSOA_SCHEMA)
    def build_iod_lsoa(inputs: Inputs) -> pd.DataFrame:
        ...

A builder reads only the raw files it declared (:class:`Inputs`). :mod:`solihull_analytics.build`
runs the builders; this module only records them.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solihull_analytics.catalogue import Entry

#: Modules that declare tables. Importing them fills :data:`REGISTRY`.
SOURCE_MODULES = (
    "solihull_analytics.sources.geo",
    "solihull_analytics.sources.geography",
    "solihull_analytics.sources.iod",
    "solihull_analytics.sources.cla",
    "solihull_analytics.sources.population",
    "solihull_analytics.sources.census",
    "solihull_analytics.sources.low_income",
    "solihull_analytics.sources.cin",
    "solihull_analytics.sources.neighbours",
)

class BuildError(RuntimeError):
    """A processed table could not be built; the message names the table, input and remedy."""


class MissingInputError(BuildError):
    """A required raw file is not in the cache."""


class Inputs:
    """What a builder may read: the raw files of its declared inputs.

    Parameters
    ----------
    table_name : str
        The table being built (used in error messages).
    entries : dict of str to Entry
        The catalogue.
    declared : sequence of str
        Catalogue ids the table declared (required and optional).
    raw_dir : Path
        The raw cache.
    """

    def __init__(
        self, table_name: str, entries: dict[str, Entry], declared: Sequence[str], raw_dir: Path
    ) -> None:
        self.table_name = table_name
        self.entries = entries
        self.declared = tuple(declared)
        self.raw_dir = raw_dir

    def entry(self, entry_id: str) -> Entry:
        """Return the catalogue entry ``entry_id`` (which the table must have declared)."""
        if entry_id not in self.declared:
            raise BuildError(
                f"table {self.table_name!r} reads {entry_id!r} without declaring it in inputs=; "
                "add it so that the build manifest tracks it."
            )
        return self.entries[entry_id]

    def path(self, entry_id: str) -> Path:
        """Return the raw file of a required input, or raise :class:`MissingInputError`."""
        p = self.entry(entry_id).raw_path(self.raw_dir)
        if not p.exists():
            raise MissingInputError(
                f"table {self.table_name!r} needs {entry_id!r} at {p}, which is missing. "
                f"Run `solihull-analytics data fetch --only {entry_id}` first."
            )
        return p

    def optional_path(self, entry_id: str) -> Path | None:
        """Return the raw file of an optional input, or ``None`` when it is not present."""
        p = self.entry(entry_id).raw_path(self.raw_dir)
        return p if p.exists() else None


InputList = Iterable[str] | Callable[[], Iterable[str]]


@dataclass(frozen=True)
class TableSpec:
    """A processed table: its name, inputs, builder and schema.

    ``declared_inputs`` and ``declared_optional`` are lists of catalogue ids, or functions
    returning them (read from the release registry when the build runs, so that a release added
    to the registry is an input without a code change). ``release_kinds`` names the registry
    kinds whose records enter the table's build key.
    """

    name: str
    declared_inputs: InputList
    declared_optional: InputList
    builder: Callable[[Inputs], Any]
    schema: Any = None
    geo: bool = False
    description: str = ""
    release_kinds: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        ids = self.declared_inputs
        return tuple(ids() if callable(ids) else ids)

    @property
    def optional_inputs(self) -> tuple[str, ...]:
        ids = self.declared_optional
        return tuple(ids() if callable(ids) else ids)

    @property
    def filename(self) -> str:
        return f"{self.name}.parquet"


REGISTRY: dict[str, TableSpec] = {}


def table(
    name: str,
    inputs: InputList,
    *,
    optional_inputs: InputList = (),
    schema: Any = None,
    geo: bool = False,
    description: str = "",
    release_kinds: Iterable[str] = (),
) -> Callable[[Callable[[Inputs], Any]], Callable[[Inputs], Any]]:
    """Declare a processed table built by the decorated function.

    Parameters
    ----------
    name : str
        Table name; the output is ``data/processed/<name>.parquet``.
    inputs : iterable of str, or a function returning them
        Catalogue ids the builder needs (a function is called at build time, e.g. to read
        them from the release registry).
    optional_inputs : iterable of str, or a function returning them, optional
        Catalogue ids used when present (e.g. releases not in the mirror).
    schema : pandera.DataFrameSchema, optional
        Schema the output must pass.
    geo : bool, default False
        Whether the builder returns a GeoDataFrame (written as GeoParquet).
    description : str, optional
        One line on what the table holds; shown by ``solihull-analytics data list``.
    release_kinds : iterable of str, optional
        Release-registry kinds the builder reads; their records enter the build key.
    """

    def register(func: Callable[[Inputs], Any]) -> Callable[[Inputs], Any]:
        if name in REGISTRY and REGISTRY[name].builder.__qualname__ != func.__qualname__:
            raise BuildError(f"table {name!r} is declared twice.")
        REGISTRY[name] = TableSpec(
            name=name,
            declared_inputs=inputs if callable(inputs) else tuple(inputs),
            declared_optional=(
                optional_inputs if callable(optional_inputs) else tuple(optional_inputs)
            ),
            builder=func,
            schema=schema,
            geo=geo,
            description=description or (inspect.getdoc(func) or "").split("\n")[0],
            release_kinds=tuple(release_kinds),
        )
        return func

    return register


def load_registry() -> dict[str, TableSpec]:
    """Import every source module and return the table registry."""
    for module in SOURCE_MODULES:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        # Tables declared from the release registry follow it (a record added since import).
        declare = getattr(mod, "register_registry_tables", None)
        if declare is not None:
            declare()
    return REGISTRY
