"""The HTML side: one page frame for every UI path (/production/jobs/?jobstatus=failed).
The frame carries no data; the browser code fetches everything from /api/.

Other pages that live inside the frame (the legacy proxy) render "frame.html" with
`frame_context(request, ...)` and fill its `frame_content` block.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pandjango.legacy.paths import legacy_tabs, section_tab_url
from pandjango.sections import OFF, can_see, closed_message, section_state, visible_sections


def frame_context(request: HttpRequest, section: str = "", **extra: Any) -> dict[str, Any]:
    """What the frame needs: the tabs this user may see (sections, and the old monitor's
    tabs from config [legacy.tabs]). Never any monitoring data."""
    sections = [{"name": name, "state": section_state(name), "url": f"/{name}/"} for name in visible_sections(request.user)]
    return {"section": section, "sections": sections, "legacy_tabs": legacy_tabs(request.user), **extra}


def section_page(request: HttpRequest, section: str) -> HttpResponse:
    if not can_see(request.user, section):
        status = 403
        if section_state(section) == OFF:
            # A section that is off is served by the old monitor, when it has a tab for it.
            legacy_url = section_tab_url(section)
            if legacy_url:
                return redirect(legacy_url)
            status = 404
        return render(request, "error.html", {"status": status, "message": closed_message(section)}, status=status)
    return render(request, "frame.html", frame_context(request, section))
