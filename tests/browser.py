"""Headless Chromium for the browser tests (Debian's chromium and chromedriver; .ci/run installs
them). One place for the flags a closed network needs and for the skip when they are missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

#: Flags for a sandboxed machine without internet: no background connections or updates.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str | None:
    """The Chromium binary, or None when none is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_driver(profile: Path, *extra_flags: str):
    """A selenium driver for headless Chromium (skips the test when Chromium is missing)."""
    browser = chromium()
    if browser is None or shutil.which("chromedriver") is None:
        pytest.skip("Chromium/chromedriver not installed (.ci/run installs them with apt-get)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = browser
    for flag in (*HEADLESS_FLAGS, f"--user-data-dir={profile}", *extra_flags):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
