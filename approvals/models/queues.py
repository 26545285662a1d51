from datetime import timedelta

from django.utils import timezone


class LeasedRow:
    """A row that is its own queue (approvals.delivery): a worker handles it under its row lock,
    and past its `lease_until` the sweeper takes it again and publishes its task. NoticeBatch,
    Notice, ChatPost and Filing are ones; `waiting` says which of its rows are still to be
    handled (a NoticeBatch row is deleted once handled: all of them)."""

    waiting: dict = {}

    @classmethod
    def lease_renew_expired(cls, *, now, lease, batch: int = 100) -> list[int]:
        """Take up to `batch` waiting rows whose lease ran out (skipping those a worker holds),
        lease them again, and return their ids; in the caller's transaction."""
        ids = list(
            cls.objects.select_for_update(skip_locked=True)
            .filter(**cls.waiting, lease_until__lt=now)
            .order_by("lease_until")
            .values_list("pk", flat=True)[:batch]
        )
        cls.objects.filter(pk__in=ids).update(lease_until=now + lease)
        return ids

    @classmethod
    def lease_extend(cls, ids, *, lease, seconds: float = 0) -> None:
        """Leave these waiting rows to the task that holds them for `seconds` (a retry's wait)
        more than the lease."""
        until = timezone.now() + lease + timedelta(seconds=seconds)
        cls.objects.filter(pk__in=list(ids), **cls.waiting).update(lease_until=until)
