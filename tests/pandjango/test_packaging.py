"""The wheel: `make wheel` builds it; installed in a fresh virtualenv it gives the `pandjango`
command, which works from any folder and offline: `pandjango manage check`, and `pandjango demo`
serving the API, the pages and the front-end libraries.

Nothing is downloaded: the fresh virtualenv gets the pinned dependencies from this one through a
.pth file, and the wheel is installed with --no-deps --no-index."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from setuptools import find_packages

from pandjango.config import SHARE_DIR as REPO

# The wheel does not depend on the database: it is built and tried once, in the SQLite run
# (the MariaDB run deselects the `once` marker).
pytestmark = [pytest.mark.no_db, pytest.mark.once]

# Variables of this test run that must not reach the installed command.
RUN_VARIABLES = ("PANDJANGO_CONFIG", "PANDJANGO_HOME", "PANDJANGO_TEST_SUFFIX", "DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV")


@dataclass
class Installed:
    wheel: Path
    venv: Path
    workdir: Path  # a folder that is not the source checkout

    @property
    def command(self) -> str:
        return str(self.venv / "bin" / "pandjango")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in RUN_VARIABLES}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=self.workdir, env=self.env(), capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("packaging")
    dist = tmp / "dist"
    build = subprocess.run(["make", "-o", "venv", "-o", "node", "wheel", f"DIST={dist}"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    [wheel] = dist.glob("pandjango-*.whl")

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (site / "pandjango-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    workdir = tmp / "elsewhere"
    workdir.mkdir()
    return Installed(wheel, venv, workdir)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_package_of_the_source_tree_is_in_the_wheel() -> None:
    listed = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    found = find_packages(where=str(REPO), include=["pandjango", "pandjango.*", "sections", "sections.*"])
    assert sorted(set(found) - set(listed)) == [], "add them to [tool.setuptools] packages in pyproject.toml"


def test_the_wheel_carries_the_templates_the_config_and_every_static_file(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for name in (
        "pandjango/cli.py",
        "sections/production/views.py",
        "pandjango/share/templates/frame.html",
        "pandjango/share/config/pandjango.toml",
        "pandjango/share/config/pandjango.example-production.toml",
        "pandjango/share/config/gunicorn.conf.py",
        "pandjango/collected_static/pandjango/core.js",
        "pandjango/collected_static/vendor/jquery/jquery.min.js",
        "pandjango/collected_static/vendor/uplot/uPlot.iife.min.js",
    ):
        assert name in names, name
    assert not [n for n in names if n.startswith(("tests/", "node_modules/", "pandjango/share/config/test/"))]


def test_the_wheel_requires_the_pinned_requirements_and_gives_the_command(installed: Installed) -> None:
    wheel = zipfile.ZipFile(installed.wheel)
    metadata = wheel.read("pandjango-0.1.0.dist-info/METADATA").decode()
    required = {line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")}
    pinned = {line.strip() for line in (REPO / "requirements.txt").read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert {r.replace(" ", "") for r in required} == {p.replace(" ", "") for p in pinned}
    assert all("==" in r for r in required)
    assert "pandjango = pandjango.cli:main" in wheel.read("pandjango-0.1.0.dist-info/entry_points.txt").decode()


def test_the_installed_command_runs_the_installed_code_from_any_folder(installed: Installed) -> None:
    where = installed.run(str(installed.venv / "bin" / "python"), "-c", "import pandjango.config as c; print(c.PACKAGE_DIR, c.INSTALLED)")
    assert where.returncode == 0, where.stderr
    package_dir, is_installed = where.stdout.split()
    assert Path(package_dir).is_relative_to(installed.venv.resolve()) and is_installed == "True"
    check = installed.run(installed.command, "manage", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "System check identified no issues" in check.stdout


@pytest.fixture
def demo(installed: Installed) -> Iterator[str]:
    port = _free_port()
    log = (installed.workdir / "demo.log").open("w")
    server = subprocess.Popen(
        [installed.command, "demo", "--jobs", "200", "--port", str(port), "--no-legacy-standin"],
        cwd=installed.workdir, env=installed.env(), stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 45
        while True:
            assert server.poll() is None, (installed.workdir / "demo.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (installed.workdir / "demo.log").read_text()
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_pandjango_demo_serves_the_api_the_pages_and_the_front_end(installed: Installed, demo: str) -> None:
    index = httpx.get(f"{demo}/api/", timeout=10)
    assert index.status_code == 200
    assert "production" in [section["name"] for section in index.json()["data"]]
    jobs = httpx.get(f"{demo}/api/production/jobs/", params={"limit": 1, "days": 4}, timeout=10)
    assert jobs.status_code == 200 and len(jobs.json()["data"]) == 1
    page = httpx.get(f"{demo}/production/jobs/", timeout=10)
    assert page.status_code == 200 and "vendor/jquery/jquery.min.js" in page.text
    jquery = httpx.get(f"{demo}/static/vendor/jquery/jquery.min.js", timeout=10)
    assert jquery.status_code == 200 and "jQuery" in jquery.text[:300]
    assert (installed.workdir / "pandjango-data" / "var" / "panda.sqlite3").is_file()
