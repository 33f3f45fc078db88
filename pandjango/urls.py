from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from pandjango import cacheviews, meta, pages, rawsql, views
from pandjango.sections import SECTIONS

handler404 = "pandjango.views.not_found"
handler500 = "pandjango.views.server_error"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("api/", views.api_index, name="api-index"),
    path("api/schema/", SpectacularJSONAPIView.as_view(generator_class=meta.PandjangoSchemaGenerator), name="api-schema"),
    path("api/search/", meta.Search.as_view(), name="api-search"),
    path("api/meta/cache/", cacheviews.CachingPoints.as_view(), name="api-meta-cache"),
    path("api/meta/queries/", rawsql.Queries.as_view(), name="api-meta-queries"),
    path("api/meta/ping/", cacheviews.Ping.as_view(), name="api-meta-ping"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
for _name in SECTIONS:
    urlpatterns += [
        path(f"api/{_name}/", include(f"sections.{_name}.urls")),
        # Every UI path of a section serves the page frame; the browser code reads the URL.
        re_path(rf"^{_name}/.*$", pages.section_page, {"section": _name}, name=f"{_name}-pages"),
    ]
