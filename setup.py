"""The package build's one step of its own: the static files go into the package.

An installed package has neither static/ nor node_modules/, so `pip install .`, `pip wheel .`
and `make wheel` copy them (config.STATIC_SOURCES: our static/ and the front-end libraries'
dist folders) into pandjango/collected_static/ of the build, where settings.py finds them
when installed. Without node_modules/ the build stops and says to run `npm ci` first.
Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from pandjango.config import STATIC_SOURCES  # noqa: E402  (stdlib only: no Django needed to build)


class MissingStaticFiles(SystemExit):
    pass


def collect_static(target: Path) -> int:
    """Copies every static source into `target`; returns the number of files."""
    missing = [folder for _, folder in STATIC_SOURCES if not (ROOT / folder).is_dir()]
    if missing:
        raise MissingStaticFiles(
            f"pandjango: cannot build the package: {', '.join(missing)} missing in {ROOT}. "
            "The front-end libraries are built into the package: run `npm ci` there first "
            "(package.json, package-lock.json), then build again."
        )
    shutil.rmtree(target, ignore_errors=True)
    for prefix, folder in STATIC_SOURCES:
        shutil.copytree(ROOT / folder, target / prefix, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return sum(1 for path in target.rglob("*") if path.is_file())


class BuildWithStaticFiles(build_py):
    def run(self) -> None:
        super().run()
        # An editable install (pip install -e) runs from the source tree, static files and all.
        if not self.dry_run and not getattr(self, "editable_mode", False):
            count = collect_static(Path(self.build_lib) / "pandjango" / "collected_static")
            print(f"pandjango: {count} static files copied into pandjango/collected_static")


setup(cmdclass={"build_py": BuildWithStaticFiles})
