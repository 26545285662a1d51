from .base import Operation, OperationError


class Registry:
    """Every protected operation type, registered by the domains' `operations` modules."""

    # What get() raises for an unknown type; an operation's own refusals are the same class.
    error = OperationError

    def __init__(self):
        self._operations: dict[str, Operation] = {}

    def register(self, operation):
        """Register an Operation instance, or (as a class decorator) an instance of the class."""
        instance = operation() if isinstance(operation, type) else operation
        if instance.code in self._operations:
            raise ValueError(f"Operation {instance.code!r} is registered twice.")
        self._operations[instance.code] = instance
        return operation

    def get(self, code: str) -> Operation:
        try:
            return self._operations[code]
        except KeyError:
            raise OperationError(f"Unknown operation type {code!r}.") from None

    def all(self) -> list[Operation]:
        # Stable: within a workload, the order the domain registered its operations in.
        return sorted(self._operations.values(), key=lambda op: op.workload.order)

    def choices(self) -> list[tuple[str, str]]:
        return [(op.code, op.label) for op in self.all()]

    def policy_types(self) -> list[tuple[str, str]]:
        """What an access policy can protect, in Intune's order, each once."""
        seen: dict[str, str] = {}
        for op in self.all():
            seen.setdefault(op.policy_type, op.policy_type_label)
        return list(seen.items())

    def policy_type_label(self, policy_type: str) -> str:
        return dict(self.policy_types()).get(policy_type, policy_type)

    def of_policy_type(self, policy_type: str) -> list[Operation]:
        operations = [op for op in self.all() if op.policy_type == policy_type]
        if not operations:
            raise OperationError(f"Unknown protected operation {policy_type!r}.")
        return operations


registry = Registry()
