"""The monitor's sections and who may see them (config [sections]).

Every place that shows a section (its API, its pages, /api/, /api/schema/, the tabs) asks
`can_see`; nothing else decides who sees what. An operator switches a section between
"public", "beta" and "off" by editing one line of the config file.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from pandjango.config import SECTION_NAMES

# The sections, as the config knows them ([sections] in config/*.toml).
SECTIONS = SECTION_NAMES
PUBLIC, BETA_STATE, OFF = "public", "beta", "off"

ANONYMOUS, BETA, STAFF = "anonymous", "beta", "staff"

# Where a request's answer is memoised on its user object: the group lookup is one query,
# and a page asks for every section.
_MEMO = "_pandjango_visibility"


def section_state(name: str) -> str:
    return str(settings.PANDJANGO["sections"][name]["state"])


def beta_group_name() -> str:
    return str(settings.PANDJANGO["sections"]["beta_group"])


def visibility_class(user: Any) -> str:
    """Which class of viewer this is: the data and the cache entries differ by class."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    if user.is_staff:
        return STAFF
    group = beta_group_name()
    memo = getattr(user, _MEMO, None)
    if memo is not None and memo[0] == group:
        return str(memo[1])
    kind = BETA if user.groups.filter(name=group).exists() else ANONYMOUS
    setattr(user, _MEMO, (group, kind))
    return kind


def can_see(user: Any, name: str) -> bool:
    state = section_state(name)
    if state == OFF:
        return False
    if state == PUBLIC:
        return True
    return visibility_class(user) in (BETA, STAFF)


def visible_sections(user: Any) -> list[str]:
    return [name for name in SECTIONS if can_see(user, name)]


def closed_message(name: str) -> str:
    """Why a section is closed to a user, as its pages say it."""
    if section_state(name) == OFF:
        return f"The {name} section is off."
    return f"The {name} section is in beta: only beta testers and staff may see it."


def visible_schema(schema: dict[str, Any], user: Any) -> dict[str, Any]:
    """The OpenAPI document without the sections this user may not see."""
    hidden = [name for name in SECTIONS if not can_see(user, name)]
    prefixes = tuple(f"/api/{name}/" for name in hidden)
    out = dict(schema)
    out["paths"] = {path: item for path, item in schema.get("paths", {}).items() if not path.startswith(prefixes)}
    if "tags" in schema:
        out["tags"] = [tag for tag in schema["tags"] if tag.get("name") not in hidden]
    return out


def beta_members() -> list[dict[str, Any]]:
    """The beta testers group, for staff: usernames, names and e-mail addresses."""
    users = get_user_model().objects.filter(groups__name=beta_group_name()).order_by("username")
    return [
        {"username": u.username, "name": u.get_full_name(), "email": u.email, "is_active": u.is_active, "last_login": u.last_login}
        for u in users.only("username", "first_name", "last_name", "email", "is_active", "last_login")
    ]
