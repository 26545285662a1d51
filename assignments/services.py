"""The write every assignable workload shares (apps, policies, scripts): a new assignment."""

from collections.abc import Callable

from audit.chain import audit_record

from .assignable import groups_check


def assignment_replace(
    obj,
    groups: dict[str, list[int]],
    *,
    actor,
    action: str,
    groups_of: Callable,
    refresh: Callable,
) -> None:
    """Make `groups` ({mode: [group ids]}) the object's whole assignment, bring its devices in
    line (`refresh(obj)` returns how many wait for their next check-in) and audit the change as
    `action`; under the caller's lock on the object.

    The groups are checked again here, as the operation's validate checked them at filing and
    at Complete: a group deleted before the worker ran is refused with its reason, not left to
    the foreign key."""
    groups_check(groups)
    assignments = obj.assignments
    before = groups_of(obj)
    assignments.all().delete()
    assignments.model.objects.bulk_create(
        assignments.model(**{assignments.field.name: obj}, group_id=group_id, mode=mode)
        for mode, ids in groups.items()
        for group_id in sorted(set(ids))
    )
    pending = refresh(obj)
    audit_record(
        actor=actor,
        action=action,
        target=obj,
        data={"before": before, "after": groups_of(obj), "devices_pending": pending},
    )
