"""The package, built from a clean clone of the repository the two ways an operator would:
`pip install <checkout>` and `pip install` of a wheel built from it (`pip wheel`, as `make wheel`
runs). Installed in a fresh virtualenv, each gives the `pandjango` command, which works from any
folder and offline: `pandjango manage check`, and `pandjango demo` serving the API, the pages and
their CSS and JavaScript. Without node_modules the build stops, saying to run `npm ci`.

Nothing is downloaded: the clone shares this checkout's node_modules (what `npm ci` installed
from the same lock file), the fresh virtualenv gets the pinned dependencies from this one through
a .pth file, the package is installed with --no-deps, and the build's own setuptools comes from
pip's cache."""

from __future__ import annotations

import os
import re
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

# The package does not depend on the database: it is built and tried once, in the SQLite run
# (the MariaDB run deselects the `once` marker).
pytestmark = [pytest.mark.no_db, pytest.mark.once]

# Variables of this test run that must not reach the installed command.
RUN_VARIABLES = ("PANDJANGO_CONFIG", "PANDJANGO_HOME", "PANDJANGO_TEST_SUFFIX", "DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV")
WAYS = ("directory", "wheel")


@dataclass
class Installed:
    way: str
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


def _clean_clone(where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(REPO), str(where)], check=True, timeout=120)
    return where


def _pip(*args: str, python: Path | None = None) -> subprocess.CompletedProcess[str]:
    target = ["--python", str(python)] if python else []
    return subprocess.run([sys.executable, "-m", "pip", *target, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    checkout = _clean_clone(tmp_path_factory.mktemp("clone") / "pandjango")
    (checkout / "node_modules").symlink_to(REPO / "node_modules")
    return checkout


@pytest.fixture(scope="module")
def wheel(clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    build = _pip("wheel", "-q", "--no-deps", str(clone), "-w", str(dist))
    assert build.returncode == 0, build.stdout + build.stderr
    [built] = dist.glob("pandjango-*.whl")
    return built


@pytest.fixture(scope="module", params=WAYS)
def installed(request: pytest.FixtureRequest, clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp(f"installed-{request.param}")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (site / "pandjango-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    what = str(request.getfixturevalue("wheel")) if request.param == "wheel" else str(clone)
    install = _pip("install", "-q", "--no-deps", what, python=venv / "bin" / "python")
    assert install.returncode == 0, install.stdout + install.stderr
    workdir = tmp / "elsewhere"
    workdir.mkdir()
    return Installed(request.param, venv, workdir)


def test_without_node_modules_the_build_stops_saying_to_run_npm_ci(tmp_path: Path) -> None:
    checkout = _clean_clone(tmp_path / "pandjango")
    build = _pip("wheel", "-q", "--no-deps", "--no-build-isolation", str(checkout), "-w", str(tmp_path / "dist"))
    assert build.returncode != 0
    assert "pandjango: cannot build the package: node_modules/jquery/dist" in build.stderr + build.stdout
    assert "run `npm ci` there first" in build.stderr + build.stdout
    assert not list((tmp_path / "dist").glob("*.whl")) if (tmp_path / "dist").exists() else True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_package_of_the_source_tree_is_in_the_wheel() -> None:
    listed = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    found = find_packages(where=str(REPO), include=["pandjango", "pandjango.*", "sections", "sections.*"])
    assert sorted(set(found) - set(listed)) == [], "add them to [tool.setuptools] packages in pyproject.toml"


def test_the_wheel_carries_the_templates_the_config_and_every_static_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
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


def test_the_wheel_requires_the_pinned_requirements_and_gives_the_command(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    metadata = archive.read("pandjango-0.1.0.dist-info/METADATA").decode()
    required = {line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")}
    pinned = {line.strip() for line in (REPO / "requirements.txt").read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert {r.replace(" ", "") for r in required} == {p.replace(" ", "") for p in pinned}
    assert all("==" in r for r in required)
    assert "pandjango = pandjango.cli:main" in archive.read("pandjango-0.1.0.dist-info/entry_points.txt").decode()


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
    jquery = httpx.get(f"{demo}/static/vendor/jquery/jquery.min.js", timeout=10)
    assert jquery.status_code == 200 and "jQuery" in jquery.text[:300]
    assert (installed.workdir / "pandjango-data" / "var" / "panda.sqlite3").is_file()


@pytest.mark.parametrize("path", ["/", "/production/jobs/", "/api/docs/"])
def test_each_page_loads_its_css_and_javascript(installed: Installed, demo: str, path: str) -> None:
    page = httpx.get(f"{demo}{path}", timeout=10)
    assert page.status_code == 200
    styles = re.findall(r'<link rel="stylesheet" href="(/static/[^"]+)"', page.text)
    scripts = re.findall(r'<script src="(/static/[^"]+)"', page.text)
    assert styles and (scripts or path == "/"), page.text[:500]  # the landing page may have no script
    for url in styles + scripts:
        answer = httpx.get(f"{demo}{url}", timeout=10)
        assert answer.status_code == 200, f"{installed.way}: {url} {answer.status_code}"
        assert answer.headers["content-type"].startswith("text/css" if url.endswith(".css") else ("text/javascript", "application/javascript")), url
