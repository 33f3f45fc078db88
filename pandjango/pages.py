"""The HTML side: one page frame for every UI path (/production/jobs/?jobstatus=failed).
The frame carries no data; the browser code fetches everything from /api/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pandjango.sections import can_see, section_state, visible_sections


def section_page(request: HttpRequest, section: str) -> HttpResponse:
    if not can_see(request.user, section):
        status = 404 if section_state(section) == "off" else 403
        message = f"The {section} section is not open to you."
        return render(request, "error.html", {"status": status, "message": message}, status=status)
    return render(request, "frame.html", {"section": section, "sections": visible_sections(request.user)})
