"""The production settings, with the floor views of bench/floor.py added to the addresses."""

from maa_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor"
