from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_catalogue(sender, **kwargs):
    from .services import catalogue_sync

    catalogue_sync()


class RbacConfig(AppConfig):
    name = "rbac"
    verbose_name = "Roles and groups"

    def ready(self):
        post_migrate.connect(_sync_catalogue, sender=self)
