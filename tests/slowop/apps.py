from django.apps import AppConfig


class SlowOpConfig(AppConfig):
    """A test-only domain with one slow protected operation, to kill workers in mid-run."""

    name = "tests.slowop"
    label = "slowop"
