from .base import Change, Operation, OperationError, Target, change_payload
from .registry import registry

__all__ = ["Change", "Operation", "OperationError", "Target", "change_payload", "registry"]
