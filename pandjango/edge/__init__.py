"""The web edge: middleware for JSON errors, security headers, throttling, the request log and the request budget."""
