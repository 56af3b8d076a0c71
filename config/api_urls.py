"""/api/v1/: one router; each app registers its viewsets in its ``api.py``."""

from django.utils.module_loading import import_string
from rest_framework.routers import DefaultRouter

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False

for register in (
    "tenancy.api_views.register", "inventory.api.register", "sampling.api.register", "deadlines.api.register",
    "inspections.api.register",
):
    import_string(register)(router)

app_name = "api"
# Routes a router cannot make (a file name without the trailing slash) come before its own.
urlpatterns = [*import_string("inspections.api.urlpatterns"), *router.urls]
