"""Safety rails: a change may not leave an active policy unable to approve.

The change is applied in a savepoint and the policies' health is read back, so the rule holds
for any kind of change without modelling its effect by hand.
"""

from contextlib import contextmanager

from django.db import transaction

from .operations.base import OperationError
from .selectors import policies_health


class _DryRunDone(Exception):
    pass


def _broken_policy_ids() -> set[int]:
    return {policy.pk for policy, problems in policies_health() if problems}


def _refuse_new_problems(before: set[int]) -> None:
    newly = [(p, problems) for p, problems in policies_health() if problems and p.pk not in before]
    if newly:
        details = "; ".join(f"{p.name}: {' '.join(problems)}" for p, problems in newly)
        raise OperationError(
            "Refused: this change would leave an active access policy unable to approve "
            f"(the role-policy deadlock). {details}"
        )


@contextmanager
def rails_guard():
    """Run the block in a savepoint; undo it and refuse if it broke an active policy."""
    before = _broken_policy_ids()
    with transaction.atomic():
        yield
        _refuse_new_problems(before)


@contextmanager
def rails_dry_run():
    """Check a change against the rails without keeping it."""
    before = _broken_policy_ids()
    try:
        with transaction.atomic():
            yield
            _refuse_new_problems(before)
            raise _DryRunDone
    except _DryRunDone:
        pass
