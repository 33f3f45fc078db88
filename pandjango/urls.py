from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView

from pandjango import views
from pandjango.sections import SECTIONS

handler404 = "pandjango.views.not_found"
handler500 = "pandjango.views.server_error"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("api/", views.api_index, name="api-index"),
    path("api/schema/", SpectacularJSONAPIView.as_view(), name="api-schema"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
for _name in SECTIONS:
    urlpatterns.append(path(f"api/{_name}/", include(f"sections.{_name}.urls")))
