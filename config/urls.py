"""URL map. Every pattern is either in the leak matrix or on its public list (tests/leak/)."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from tenancy.views import health

# Swagger UI sets style attributes from its (local) script; scripts stay 'self' only.
api_docs = csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api_schema"))


class FaviconView(RedirectView):
    """/favicon.ico, which browsers ask for where a page names no icon (the record's preview, a
    PDF, a JSON answer): the static icon, by its stored (hashed) name."""

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return static("img/favicon.ico")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("", include("tenancy.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("inventory/", include("inventory.urls")),
    path("sampling/", include("sampling.urls")),
    path("deadlines/", include("deadlines.urls")),
    path("inspections/", include("inspections.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its start-up script from a URL: our CSP allows no inline script. (ReDoc
    # is not offered: its page loads web fonts from a third party.)
    path("api/docs/", api_docs, name="api_docs"),
    path("healthz/", health, name="healthz"),
]

handler400 = "tenancy.errors.bad_request"
handler403 = "tenancy.errors.permission_denied"
handler404 = "tenancy.errors.page_not_found"
handler500 = "tenancy.errors.server_error"
