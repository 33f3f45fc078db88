from django.apps import apps
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from pandjango import pages, views
from pandjango.caching import views as cache_views
from pandjango.edge import metrics
from pandjango.endpoints import meta
from pandjango.legacy import views as legacy_views
from pandjango.rawsql import views as rawsql_views
from pandjango.sections import SECTIONS

# The admin's sign-in says so too when failed sign-ins are refused (pandjango/edge/throttling.py).
admin.site.login_form = views.SignInForm

handler404 = "pandjango.views.not_found"
handler500 = "pandjango.views.server_error"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("api/", views.api_index, name="api-index"),
    path("api/schema/", views.SectionSchemaView.as_view(generator_class=meta.PandjangoSchemaGenerator), name="api-schema"),
    # Swagger UI over /api/schema/, its script and styles served by us (drf-spectacular-sidecar).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="apidocs.html"), name="api-docs"),
    path("api/search/", meta.Search.as_view(), name="api-search"),
    path("api/meta/beta/", views.BetaTesters.as_view(), name="api-meta-beta"),
    path("api/meta/cache/", cache_views.CachingPoints.as_view(), name="api-meta-cache"),
    path("api/meta/queries/", rawsql_views.Queries.as_view(), name="api-meta-queries"),
    path("api/meta/ping/", cache_views.Ping.as_view(), name="api-meta-ping"),
    # The sections' API under one prefix, right after the project's own: Django tries the
    # patterns in order on every request, and these paths (the cached answers) no longer
    # walk past the old monitor's, the root apps' and every section's page patterns first.
    path("api/", include([path(f"{name}/", include(f"sections.{name}.urls")) for name in SECTIONS])),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    # The old monitor, for sections that are off and pages not ported yet.
    re_path(r"^legacy/(?P<path>[\s\S]*)$", legacy_views.legacy_page, name="legacy"),  # newlines too: refused as such
]
# Apps that answer at the root (the paths another monitor's clients call) name their URLconf.
for _app in apps.get_app_configs():
    _root = getattr(_app, "root_urlconf", None)
    if _root:
        urlpatterns.append(path("", include(_root)))
# Every UI path of a section serves the page frame; the browser code reads the URL.
for _name in SECTIONS:
    urlpatterns.append(re_path(rf"^{_name}/.*$", pages.section_page, {"section": _name}, name=f"{_name}-pages"))
