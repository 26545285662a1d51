from .base import Change, Operation, OperationError, Target
from .registry import registry

__all__ = ["Change", "Operation", "OperationError", "Target", "registry"]
