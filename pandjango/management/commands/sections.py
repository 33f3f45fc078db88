from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from pandjango.legacy.paths import check_base_url, legacy_settings, section_tab_url, tab_problems
from pandjango.sections import OFF, PUBLIC, SECTIONS, beta_group_name, section_state

SEEN_BY = {PUBLIC: "everyone", "beta": "beta testers and staff", OFF: "nobody"}


class Command(BaseCommand):
    help = "Prints each section's state (public, beta, off), the beta testers group and the legacy monitor's tabs."

    def handle(self, *args: Any, **options: Any) -> None:
        path = settings.PANDJANGO["_path"]
        self.stdout.write(f"{'section':12} {'state':7} seen by")
        for name in SECTIONS:
            state = section_state(name)
            seen_by = SEEN_BY[state]
            if state == OFF:
                seen_by += f"; its pages go to {section_tab_url(name) or 'nowhere (no legacy tab of that name)'}"
            self.stdout.write(f"{name:12} {state:7} {seen_by}")
        self.stdout.write("")
        self.stdout.write(self._beta_group())
        for line in self._legacy():
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(f'To change a state, edit [sections.<name>] state = "public" | "beta" | "off" in {path} and restart.')

    def _beta_group(self) -> str:
        group = beta_group_name()
        try:
            members = list(User.objects.filter(groups__name=group).order_by("username").values_list("username", flat=True))
        except DatabaseError:
            return f'beta testers group "{group}": members unknown (run manage.py migrate)'
        listed = ", ".join(members) if members else "no members yet (add them in /admin/auth/group/)"
        return f'beta testers group "{group}": {len(members)} member(s): {listed}'

    def _legacy(self) -> list[str]:
        cfg = legacy_settings()
        if cfg is None:
            return ["legacy monitor: not configured (legacy.base_url is empty): no legacy tabs, /legacy/ answers 404"]
        lines = [f"legacy monitor: {cfg.base_url} (allowed prefixes: {', '.join(cfg.allowed_prefixes) or 'none'})"]
        problem = check_base_url(cfg.base_url)
        if problem:
            lines.append(f"  WARNING: legacy.base_url {problem}")
        problems = tab_problems(cfg)
        for name, target in cfg.tabs.items():
            note = f"  REFUSED: {problems[name]}" if name in problems else ""
            lines.append(f"  tab {name}: /legacy/{target.lstrip('/')}{note}")
        return lines
