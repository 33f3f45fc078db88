from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pandjango import config

pytestmark = pytest.mark.no_db
ROOT = Path(__file__).resolve().parents[2]
MINIMAL = """
[databases.default]
engine = "sqlite"
name = "var/x.sqlite3"
[databases.panda]
engine = "sqlite"
name = "var/y.sqlite3"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pandjango.toml"
    path.write_text(text)
    return path


def test_a_minimal_file_gets_the_defaults(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path, MINIMAL))
    assert cfg["limits"]["max_limit"] == 10000
    assert cfg["sections"]["production"]["state"] == "public"
    assert cfg["databases"]["panda"]["ours"] is False


def test_it_rejects_an_unknown_key_naming_it_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[limits]\nmax_lmit = 5\n")
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    assert str(err.value) == f"{path}: unknown key limits.max_lmit"


def test_it_rejects_a_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match=r"limits.max_limit must be a integer, not str"):
        config.load(write(tmp_path, MINIMAL + '[limits]\nmax_limit = "many"\n'))


def test_it_rejects_a_boolean_where_a_number_is_needed(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match=r"limits.max_limit .* not a boolean"):
        config.load(write(tmp_path, MINIMAL + "[limits]\nmax_limit = true\n"))


def test_it_rejects_a_missing_required_value(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match=r"missing required key databases.panda.name"):
        config.load(write(tmp_path, MINIMAL.replace('name = "var/y.sqlite3"', "")))


def test_it_rejects_a_value_outside_the_choices(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match=r"sections.stats.state must be one of public, beta, off"):
        config.load(write(tmp_path, MINIMAL + '[sections.stats]\nstate = "hidden"\n'))


def test_a_secret_comes_from_the_environment_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PJ_TEST_SECRET", "s3cret")
    assert config.secret_from_env("x", "PJ_TEST_SECRET", "f.toml") == "s3cret"
    monkeypatch.delenv("PJ_TEST_SECRET")
    with pytest.raises(config.ConfigError, match=r"x names \$PJ_TEST_SECRET, which is not set"):
        config.secret_from_env("x", "PJ_TEST_SECRET", "f.toml")


def test_the_shipped_files_are_valid() -> None:
    for path in [*ROOT.glob("config/*.toml"), *ROOT.glob("config/test/*.toml")]:
        config.load(path)


def test_the_production_example_names_the_oracle_schemas() -> None:
    cfg = config.load(ROOT / "config" / "pandjango.example-production.toml")
    assert cfg["databases"]["panda"]["engine"] == "oracle"
    assert (cfg["panda"]["schema_panda"], cfg["panda"]["schema_archive"], cfg["panda"]["schema_meta"]) == (
        "ATLAS_PANDA", "ATLAS_PANDAARCH", "ATLAS_PANDAMETA",
    )
    assert cfg["databases"]["panda"]["ours"] is False


def test_start_up_stops_with_one_line_on_a_bad_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[cache]\nbackend = 'redis'\n")
    env = {**os.environ, "PANDJANGO_CONFIG": str(path)}
    proc = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"pandjango: configuration error: {path}: cache.backend must be one of memcached, file, memory, none"]
