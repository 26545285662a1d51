"""What every protected operation type provides to the approval flow.

A domain plugs a type in with one class in its own `operations.py` (found at start-up by
`approvals.apps`): the engine, its pages and the executor task need no change.
"""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field

from rbac.catalogue import Workload
from utilities.digests import digest


class OperationError(Exception):
    """The operation cannot run as asked, with a message for people."""


class PartlyDone(str):
    """What execute() returns when part of the work failed: what ran stays (it is not rolled
    back), the execution is Failed with this text, and Retry runs the operation again, which
    must pass over what it did (a bulk device action: the devices it reached)."""


class Continues(str):
    """What execute() returns when it did one batch of a larger run: it is committed, and the
    execution is queued again to do the next (so a run of 10,000 devices is many short
    transactions). The text is the progress shown meanwhile."""


@dataclass(frozen=True)
class Change:
    """One line of what the approver reads: a value before and after, or a diff of a text."""

    label: str
    before: str = ""
    after: str = ""
    # For long texts (a script body): (mark, line) pairs, mark "+", "-" or " ".
    diff: list = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """One step of what the target does after the run (a device receiving its command)."""

    label: str
    done: bool


@dataclass(frozen=True)
class Target:
    key: str  # identifies the object for "one open request per target"
    label: str
    url: str = ""


_reads: contextvars.ContextVar[dict | None] = contextvars.ContextVar("maa_reads", default=None)


@contextmanager
def reads_shared():
    """Within one service call, the hooks of an operation (permission object, target, state,
    checks) read each object once, through read_once: filing a wipe read its device five times.
    Only reads share: a write locks and reads its row again."""
    token = _reads.set({})
    try:
        yield
    finally:
        _reads.reset(token)


def read_once(key, read):
    """read(), or what it returned before for `key` in the current reads_shared() block."""
    shared = _reads.get()
    if shared is None:
        return read()
    if key not in shared:
        shared[key] = read()
    return shared[key]


class Operation:
    code: str = ""
    label: str = ""
    workload: Workload
    # Approvers need Read on the kind of object approved.
    read_permission: str = ""
    # Approving also needs "Approval for Multi Admin Approval" (access-policy changes).
    needs_maa_approval_permission: bool = False
    # Always protected, whatever the policies say (access policies protect themselves).
    always_protected: bool = False
    # The request page reads the payload for the target's link (filed_target_url) and, after
    # the run, the progress. False: the link comes from the pinned key alone, so the page reads
    # the payload only for the progress (a bulk request's is 10,000 device ids).
    page_reads_payload: bool = True

    @property
    def policy_type(self) -> str:
        """What an access policy names to protect this operation: its whole workload."""
        return self.workload.value

    @property
    def policy_type_label(self) -> str:
        return self.workload.label

    def start_permission(self, payload: dict) -> str:
        """The permission the requestor needs to start this operation."""
        raise NotImplementedError

    def permission_object(self, payload: dict):
        """The object the start permission is checked on (for scoped permissions), or None."""
        return None

    def target(self, payload: dict) -> Target:
        raise NotImplementedError

    def filed_target_url(self, payload: dict | None, target_key: str) -> str:
        """A filed request's link to its target; the key is the one pinned at filing. The
        payload is None where the page left it unread (page_reads_payload)."""
        return self.target(payload).url

    def state(self, payload: dict) -> dict:
        """The target's current state; completion refuses if it changed since submission."""
        raise NotImplementedError

    def changes(self, payload: dict) -> list[Change]:
        """A readable before/after summary for approvers."""
        raise NotImplementedError

    def validate(self, payload: dict, actor) -> None:
        """Raise OperationError if the operation cannot run now (called on submit and run)."""

    def size(self, payload: dict) -> int:
        """How many objects the operation acts on (a policy's bulk threshold counts them)."""
        return 1

    def prepare(self, payload: dict, actor) -> dict:
        """Called once when a request is submitted; may create a pending object."""
        return payload

    def execute(self, payload: dict, actor, origin: str) -> str:
        """Carry the operation out inside the caller's transaction; return a result line."""
        raise NotImplementedError

    def execute_many(self, runs: list[tuple[dict, object, str]]) -> list[str]:
        """execute() for several requests of this type, each (payload, actor, origin), in the
        caller's transaction; their result lines in order. If one cannot run, raise: the
        engine runs the batch again one request at a time, so that only that one fails.
        Override where one write for all is cheaper than one each."""
        return [self.execute(payload, actor, origin) for payload, actor, origin in runs]

    def progress(self, payload: dict, origin: str) -> list[Step]:
        """What the target did since the run `origin`; [] when there is nothing to follow."""
        return []

    def closed_without_completion(self, payload: dict) -> None:
        """The request was rejected, cancelled or expired."""

    def fingerprint(self, payload: dict) -> str:
        return digest(self.state(payload))
