from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo city loader (its management command); it has no models."""

    name = "kaohe.demo"
    label = "demo"
    verbose_name = "Demo city"
