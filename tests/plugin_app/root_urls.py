"""The site's URLs with the plug-in's mounted, as a real app adds its ``include`` to config/urls.py.

Only the plug-in's own tests use it (``@pytest.mark.urls``): elsewhere its link does not resolve,
so the sidebar skips it and the other tests see the site as it is.
"""

from django.urls import include, path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site

urlpatterns = [*site, path("plugin/", include("tests.plugin_app.urls"))]
