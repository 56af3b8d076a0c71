from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = "期限与提醒"

    def ready(self) -> None:
        # The rules, their event handlers, the filing time limit and the periodic scans: all
        # registered with tenancy's registries (tenancy and sampling never import this app).
        from . import extensions

        extensions.register()
