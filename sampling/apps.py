from django.apps import AppConfig


class SamplingConfig(AppConfig):
    name = "sampling"
    verbose_name = "抽查计划与抽取"

    def ready(self) -> None:
        from tenancy import events as domain_events

        from . import events

        domain_events.declare("sampling", events.EVENTS)
        from . import extensions, policies  # noqa: F401  (policies: registered by key on import)

        extensions.register_with_tenancy()
        extensions.register_own()
        extensions.register_with_inventory()
