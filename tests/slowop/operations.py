"""A protected operation that takes its time and leaves one audit event per completed run."""

import time

from approvals.operations import Change, Operation, Target, registry
from audit.chain import audit_record
from devices.workload import DEVICE_ACTIONS, DevicePerm


@registry.register
class SlowOperation(Operation):
    code, label = "test.slow", "Slow test operation"
    workload = DEVICE_ACTIONS
    read_permission = DevicePerm.READ
    always_protected = True

    @property
    def policy_type(self) -> str:
        return self.code

    def start_permission(self, payload: dict) -> str:
        return DevicePerm.READ

    def target(self, payload: dict) -> Target:
        return Target(key=f"slow:{payload['name']}", label=f"Slow run {payload['name']}")

    def state(self, payload: dict) -> dict:
        return {}

    def changes(self, payload: dict) -> list[Change]:
        return [Change("Sleeps for", after=f"{payload['seconds']} s")]

    def execute(self, payload: dict, actor, origin: str) -> str:
        # Written first, committed only with the run: a run killed half-way leaves no event.
        audit_record(actor=actor, action="test.slow_ran", note=payload["name"])
        time.sleep(payload["seconds"])
        return "slept"
