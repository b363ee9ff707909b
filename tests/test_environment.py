"""pyproject.toml and environment.yml must pin the same packages at the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge package names that differ from PyPI names
CONDA_NAMES = {"pyyaml": "pyyaml"}


def _pyproject_pins(groups: tuple[str, ...] | None = None) -> dict[str, str]:
    """Pins of the main dependencies plus the optional groups (all groups when None)."""
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = doc["project"]
    optional = project.get("optional-dependencies", {})
    specs = list(project["dependencies"]) + [
        s for name, group in optional.items() if groups is None or name in groups for s in group
    ]
    pins = {}
    for spec in specs:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^;\s]+)", spec.strip())
        assert m, f"pyproject dependency {spec!r} is not pinned with =="
        pins[m.group(1).lower()] = m.group(2)
    return pins


def _environment_pins() -> dict[str, str]:
    doc = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pins: dict[str, str] = {}
    for dep in doc["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep.get("pip", []):
                m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", spec)
                if m:
                    pins[m.group(1).lower()] = m.group(2)
        else:
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)=(\S+)", dep)
            if m:
                pins[m.group(1).lower()] = m.group(2)
    return pins


def test_every_pyproject_pin_is_in_environment_yml_with_the_same_version() -> None:
    env = _environment_pins()
    for name, version in _pyproject_pins().items():
        conda_name = CONDA_NAMES.get(name, name)
        assert conda_name in env, (
            f"{name} is pinned in pyproject.toml but missing in environment.yml"
        )
        assert env[conda_name] == version, (
            f"{name}: pyproject.toml pins {version}, environment.yml pins {env[conda_name]}"
        )


def test_environment_yml_has_nothing_pyproject_lacks() -> None:
    pyproject = {CONDA_NAMES.get(n, n) for n in _pyproject_pins()}
    extra = set(_environment_pins()) - pyproject - {"python"}
    assert not extra, f"environment.yml pins packages pyproject.toml does not: {sorted(extra)}"


def test_installed_versions_match_the_pins() -> None:
    from importlib.metadata import PackageNotFoundError, version

    wrong = []
    for name, pinned in _pyproject_pins(groups=("dev",)).items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            wrong.append(f"{name} not installed")
            continue
        if installed != pinned:
            wrong.append(f"{name} {installed} installed, {pinned} pinned")
    assert not wrong, "; ".join(wrong) + " — run `make test` to rebuild .venv"
