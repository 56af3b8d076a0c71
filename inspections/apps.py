from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = "检查实施"

    def ready(self) -> None:
        # Its events, its handlers of sampling's, its due-item rules and milestones: all through
        # the registries of the apps before it (which never import this app).
        from . import demo, extensions, navigation

        extensions.register()
        extensions.register_integration()  # the annual cap, the task page's cards, the office's panel
        navigation.register()
        demo.register()  # seed_demo's inspections (tenancy.demo.DEMO_SEEDERS)
