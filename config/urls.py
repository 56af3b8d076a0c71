"""URL map. Every pattern is either in the leak matrix or on its public list (tests/leak/)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", include("tenancy.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("inventory/", include("inventory.urls")),
    path("sampling/", include("sampling.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
]

handler403 = "tenancy.errors.permission_denied"
handler404 = "tenancy.errors.page_not_found"
handler500 = "tenancy.errors.server_error"
