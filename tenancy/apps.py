from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "单位与权限"

    def ready(self) -> None:
        from . import lookups, schema  # noqa: F401  (schema registers the OpenAPI auth extension)
        from .scoping import connect_guards

        connect_guards()
        lookups.register()
        # Every text column of our apps refuses control characters (tenancy/validators.py).
        from django.apps import apps

        from .validators import OUR_APPS, guard_model_fields

        guard_model_fields(m for label in OUR_APPS if label in apps.app_configs for m in apps.get_app_config(label).get_models())
