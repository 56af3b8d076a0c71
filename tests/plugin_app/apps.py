from django.apps import AppConfig


class PluginAppConfig(AppConfig):
    name = "tests.plugin_app"
    label = "tests_plugin"
    verbose_name = "插件示例"

    def ready(self) -> None:
        from . import extensions

        extensions.register()
