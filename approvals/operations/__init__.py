"""The operation contract and registry. Domains register their types from `<app>/operations.py`.

The engine's own type (access policies) is registered by `approvals/operations/access_policies`,
imported when `approvals.apps` discovers every app's `operations` module.
"""

from .base import (
    Change,
    Operation,
    OperationError,
    Step,
    Target,
    change_payload,
    read_once,
    reads_shared,
)
from .registry import registry

__all__ = [
    "Change",
    "Operation",
    "OperationError",
    "Step",
    "Target",
    "change_payload",
    "read_once",
    "reads_shared",
    "registry",
]
