from django.apps import AppConfig
from django.core import checks


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "单位与权限"

    def ready(self) -> None:
        from . import lookups, schema  # noqa: F401  (schema registers the OpenAPI auth extension)
        from .scoping import connect_guards

        connect_guards()
        lookups.register()
        # Every text column of our apps refuses control characters (tenancy/validators.py).
        from .validators import guard_model_fields, our_app_configs

        guard_model_fields(model for config in our_app_configs() for model in config.get_models())
        from . import extensions

        extensions.register()
        # The registered public projections must resolve (models and fields), as `manage.py check` runs.
        from .projections import check_projections

        checks.register(check_projections)
