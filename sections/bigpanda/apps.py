from django.apps import AppConfig


class BigPandaConfig(AppConfig):
    """BigPanDA's paths (/jobs/, /job, /tasks/, /task/<id>/, /errors/) and JSON shapes, for the
    tools written against the BigPanDA monitor (API.md, "BigPanDA-compatible endpoints").

    It lives among the sections because it is an adapter over the production section's
    queries: it calls sections.production.queries' public functions and duplicates none of
    them. It is the one module allowed to import a section; no section imports it. It is not
    a section of its own: it has no state, tab or pages, and answers whoever may see the
    production section. Its paths sit at the root, outside /api/, where the clients look."""

    name = "sections.bigpanda"
    label = "bigpanda"
    root_urlconf = "sections.bigpanda.urls"
