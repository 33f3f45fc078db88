"""manage.py sections: each section's state, the beta testers group, the legacy tabs."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

from django.contrib.auth.models import User
from django.core.management import call_command


def run() -> str:
    out = StringIO()
    call_command("sections", stdout=out)
    return out.getvalue()


def test_it_prints_each_sections_state(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("sections.stats.state", "beta")
    pandjango_config("sections.sites.state", "off")
    lines = run().splitlines()
    assert lines[0].split() == ["section", "state", "seen", "by"]
    assert "autopilot    public  everyone" in lines
    assert "stats        beta    beta testers and staff" in lines
    assert any(line.startswith("sites        off     nobody") for line in lines)


def test_it_says_where_an_off_section_goes(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("sections.sites.state", "off")
    pandjango_config("legacy.base_url", "http://127.0.0.1:9/server/pandamon/")
    pandjango_config("legacy.allowed_prefixes", ["query"])
    pandjango_config("legacy.tabs", {"Sites": "query?dash=sites"})
    assert "its pages go to /legacy/query?dash=sites" in run()


def test_it_names_the_beta_group_and_its_members(beta_user: User) -> None:
    assert 'beta testers group "beta testers": 1 member(s): tester' in run()


def test_it_lists_the_legacy_tabs_and_flags_those_the_proxy_would_refuse(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("legacy.base_url", "http://127.0.0.1:9/server/pandamon/")
    pandjango_config("legacy.allowed_prefixes", ["query"])
    pandjango_config("legacy.tabs", {"Clouds": "query?dash=clouds", "Secrets": "../etc/passwd"})
    out = run()
    assert "legacy monitor: http://127.0.0.1:9/server/pandamon/ (allowed prefixes: query)" in out
    assert "  tab Clouds: /legacy/query?dash=clouds\n" in out
    assert "tab Secrets: /legacy/../etc/passwd  REFUSED: the path must not contain '..'" in out


def test_it_says_when_no_legacy_monitor_is_configured(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("legacy.base_url", "")
    assert "legacy monitor: not configured" in run()


def test_it_says_how_to_change_a_state() -> None:
    assert 'edit [sections.<name>] state = "public" | "beta" | "off" in' in run()
