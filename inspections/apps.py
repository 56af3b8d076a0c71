from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = "检查实施"

    def ready(self) -> None:
        # Its events, its handlers of sampling's, its due-item rules and milestones: all through
        # the registries of the apps before it (which never import this app).
        from django.db.models.signals import post_migrate

        from . import demo, extensions, navigation, notices

        post_migrate.connect(_ship_result_codes, sender=self, dispatch_uid="inspections.result_codes")

        extensions.register()
        extensions.register_integration()  # the annual cap, the task page's cards, the office's panel
        navigation.register()
        notices.register()  # 综合查一次: who is told (the deadlines engine's notices), a replaced target leaves it
        demo.register()  # seed_demo's inspections (tenancy.demo.DEMO_SEEDERS)


def _ship_result_codes(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    from .result_codes import ship_if_empty  # noqa: PLC0415

    ship_if_empty(using=using)
