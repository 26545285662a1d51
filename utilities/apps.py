from django.apps import AppConfig


class UtilitiesConfig(AppConfig):
    """Plumbing's own table (the API's idempotency keys); no pages, no rules."""

    name = "utilities"
    verbose_name = "Utilities"
