"""The operation contract and registry. Domains register their types from `<app>/operations.py`.

The engine's own type (access policies) is registered by `approvals/access_policies.py`,
imported by `approvals.apps` before it discovers every app's `operations` module. This
package is the contract only: it imports nothing of the engine.
"""

from .base import (
    Change,
    Continues,
    Operation,
    OperationError,
    PartlyDone,
    Step,
    Target,
    read_once,
    reads_shared,
)
from .model import ModelOperation
from .registry import registry

__all__ = [
    "Change",
    "Continues",
    "ModelOperation",
    "Operation",
    "OperationError",
    "PartlyDone",
    "Step",
    "Target",
    "read_once",
    "reads_shared",
    "registry",
]
