"""The API's router: the engine registers its resources here, each domain its own (api.py)."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
