"""The monitor's sections and who may see them (config [sections])."""

from __future__ import annotations

from typing import Any

from django.conf import settings

SECTIONS = ("autopilot", "production", "sites", "stats")

ANONYMOUS, BETA, STAFF = "anonymous", "beta", "staff"


def section_state(name: str) -> str:
    return str(settings.PANDJANGO["sections"][name]["state"])


def visibility_class(user: Any) -> str:
    """Which class of viewer this is: the data and the cache entries differ by class."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    if user.is_staff:
        return STAFF
    beta_group = settings.PANDJANGO["sections"]["beta_group"]
    if user.groups.filter(name=beta_group).exists():
        return BETA
    return ANONYMOUS


def can_see(user: Any, name: str) -> bool:
    state = section_state(name)
    if state == "off":
        return False
    if state == "public":
        return True
    return visibility_class(user) in (BETA, STAFF)


def visible_sections(user: Any) -> list[str]:
    return [name for name in SECTIONS if can_see(user, name)]
