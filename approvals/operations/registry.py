from importlib import import_module

from .base import Operation, OperationError

# One module per operation family; each registers its types on import.
_MODULES = ["device_actions", "role_definitions", "role_assignments", "access_policies"]


class Registry:
    def __init__(self):
        self._operations: dict[str, Operation] = {}
        self._loaded = False

    def register(self, operation: Operation) -> Operation:
        self._operations[operation.code] = operation
        return operation

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for name in _MODULES:
                import_module(f"approvals.operations.{name}")

    def get(self, code: str) -> Operation:
        self._load()
        try:
            return self._operations[code]
        except KeyError:
            raise OperationError(f"Unknown operation type {code!r}.") from None

    def all(self) -> list[Operation]:
        self._load()
        return list(self._operations.values())

    def choices(self) -> list[tuple[str, str]]:
        return [(op.code, op.label) for op in self.all()]


registry = Registry()
