"""Check the synthetic SSDA903 extracts against DfE's own validation rules.

DfE's rules are published as the ``csc-validator-be-903`` package, which pins pandas<2 and so
cannot share the project's environment. This script:

1. creates the validator's own environment, ``.venv-903/`` beside the project (git-ignored;
   or ``$SOLIHULL_903_ENV``; ``python -m venv`` and ``pip install csc-validator-be-903==0.1.17``),
   once: later runs reuse it;
2. generates the default synthetic extract (Solihull, 426 children, gradient 25, seed 1) for
   each collection year asked for (2019 and 2025 by default);
3. runs every rule of the year's ruleset on the Header, Episodes and UASC tables
   (``scripts/run_903_rules.py``, in the validator's environment) and prints the rules fired.

It exits 0 when no rule fires other than those the generator documents
(:data:`~solihull_analytics.ssda903.synthetic.DFE_RULES_EXPECTED`), 1 when another fires, and 2
when the
validator cannot be installed (with the reason).

Usage::

    .venv/bin/python scripts/validate_903.py [--years 2019 2025] [--la E08000029] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = "csc-validator-be-903==0.1.17"
#: Where the validator's environment lives; set SOLIHULL_903_ENV to keep it elsewhere (a CI cache).
ENV_DIR = Path(os.environ.get("SOLIHULL_903_ENV") or ROOT / ".venv-903")
RUNNER = Path(__file__).with_name("run_903_rules.py")


class ValidatorUnavailable(RuntimeError):
    """The validator's environment could not be created (no network, no wheel, ...)."""


def env_python(env_dir: Path = ENV_DIR) -> Path:
    """The interpreter of the validator's environment (Windows or POSIX layout)."""
    windows = env_dir / "Scripts" / "python.exe"
    return windows if windows.exists() else env_dir / "bin" / "python"


def _run(cmd: list[str]) -> None:
    """Run one set-up step; raise :class:`ValidatorUnavailable` with pip's error if it fails."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    except subprocess.TimeoutExpired:
        raise ValidatorUnavailable(f"{' '.join(cmd[-3:])} took over 20 minutes") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        last = next((ln for ln in reversed(lines) if "ERROR" in ln), lines[-1] if lines else "")
        raise ValidatorUnavailable(f"cannot install {VALIDATOR}: {last.strip()}")


def ensure_env(env_dir: Path = ENV_DIR, python: str = sys.executable) -> Path:
    """Create the validator's environment unless a complete one exists; return its python.

    A stamp file naming the pinned package marks a complete install, so an interrupted install
    is redone rather than reused.

    Raises
    ------
    ValidatorUnavailable
        When ``venv`` or ``pip`` fails; the message gives the last line of pip's error.
    """
    stamp = env_dir / ".installed"
    if stamp.exists() and stamp.read_text(encoding="utf-8").strip() == VALIDATOR:
        return env_python(env_dir)
    _run([python, "-m", "venv", "--clear", str(env_dir)])
    pip = [str(env_python(env_dir)), "-m", "pip", "install", "--quiet"]
    _run([*pip, "--disable-pip-version-check", "--timeout", "30", "--retries", "2", VALIDATOR])
    stamp.write_text(VALIDATOR + "\n", encoding="utf-8")
    return env_python(env_dir)


def write_synthetic(
    folder: Path, year: int, la_code: str, seed: int, processed_dir: Path | None = None
) -> Path:
    """Write the default synthetic extract for ``la_code`` and ``year`` into ``folder``."""
    from solihull_analytics.ssda903.synthetic import default_children, generate_903

    children = default_children(la_code, processed_dir)
    extract = generate_903(la_code, year, children, seed=seed, processed_dir=processed_dir)
    return extract.write(folder)


def rules_fired(folder: Path, year: int, la_code: str, python: Path) -> dict:
    """Run the validator's rules for ``year`` on ``folder``; the runner's JSON as a dict."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [str(python), str(RUNNER), str(folder), str(year), la_code],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"the validator failed on {folder}: {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    from solihull_analytics.ssda903.synthetic import DFE_RULES_EXPECTED

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=int, nargs="+", default=[2019, 2025])
    parser.add_argument("--la", default="E08000029")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--env", type=Path, default=ENV_DIR)
    parser.add_argument(
        "--folder", type=Path, help="check this extract folder instead of generating one"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        python = ensure_env(args.env)
    except ValidatorUnavailable as exc:
        print(f"skipped: {exc}")
        return 2
    print(f"validator environment: {args.env} ({time.perf_counter() - t0:.0f} s)")
    unexpected = 0
    with tempfile.TemporaryDirectory() as tmp:
        for year in args.years:
            t1 = time.perf_counter()
            folder = args.folder or write_synthetic(Path(tmp) / str(year), year, args.la, args.seed)
            out = rules_fired(folder, year, args.la, python)
            extra = sorted(set(out["fired"]) - set(DFE_RULES_EXPECTED))
            unexpected += len(extra)
            fired = ", ".join(f"{k} ({v} rows)" for k, v in out["fired"].items()) or "none"
            failed = ", ".join(out["failed"]) or "none"
            print(
                f"{year - 1}-{str(year)[2:]} ({out['ruleset']}, {out['rules_run']} rules): "
                f"{len(out['fired'])} fired, {len(extra)} not documented: {fired}; "
                f"could not run: {failed} [{time.perf_counter() - t1:.0f} s]"
            )
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
