"""Security headers on every answer: pages, the API, errors, static files, the legacy proxy.

Django's SecurityMiddleware and XFrameOptionsMiddleware set X-Content-Type-Options,
Referrer-Policy and X-Frame-Options from the settings, but only on what passes through them;
static files (WhiteNoise) and answers made before them would go without. This middleware sits
outside them all and fills in whatever is missing, the Content-Security-Policy first of all.

The policy allows only our own scripts and styles: no inline script, no inline style, no
eval, nothing from another origin, and no framing of our pages. The templates carry no inline
script or style, and the browser code changes styles only through the CSSOM (jQuery's .css()),
which style-src does not govern. An answer that sets its own policy (the legacy proxy's
pages) keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
])


def security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY or "same-origin",
    }


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        for name, value in security_headers().items():
            if name == "X-Frame-Options" and getattr(response, "xframe_options_exempt", False):
                continue  # a view Django was told may be framed (@xframe_options_exempt)
            response.headers.setdefault(name, value)
        return response
