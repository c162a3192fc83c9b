"""Headless Chromium for the browser tests: installed from Debian when missing, never downloaded."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=vi",
)


def ensure_chromium() -> str | None:
    """Install ``chromium`` and ``chromium-driver`` with apt-get when missing (as root).

    Returns None when both are there, else why they cannot be (the caller skips and says so).
    """
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return (
            "chromium/chromium-driver are missing and cannot be installed (not root or no apt-get)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"]
    result = subprocess.run(install, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
        result = subprocess.run(install, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"apt-get install chromium failed:\n{result.stderr[-2000:]}")
    return None


def make_driver(user_data_dir: Path, *, width: int = 1280, height: int = 900) -> Chrome:
    """A selenium Chrome driver on Debian's chromium, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.add_argument(f"--window-size={width},{height}")
    # A Vietnamese visitor's browser (the pages follow Accept-Language unless ?lang= is set).
    options.add_experimental_option("prefs", {"intl.accept_languages": "vi-VN,vi"})
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
