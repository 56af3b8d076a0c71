from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "一单两库"

    def ready(self) -> None:
        from tenancy import events as domain_events

        from . import events

        domain_events.declare("inventory", events.EVENTS)
        from . import extensions, policies  # noqa: F401  (policies: registered by key on import)

        extensions.register_with_tenancy()
