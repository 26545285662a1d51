from django.apps import AppConfig


class MaaPortalConfig(AppConfig):
    """The project package as an app, for the commands that span every domain (seed_demo)."""

    name = "maa_portal"
    verbose_name = "MAA Portal"
