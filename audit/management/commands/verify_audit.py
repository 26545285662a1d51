from django.core.management.base import BaseCommand, CommandError

from audit.chain import audit_seal, audit_verify
from audit.checkpoints import CheckpointInvalid, checkpoint_latest, checkpoint_read


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain against the latest signed checkpoint; exit non-zero "
        "at the first broken event or a cut tail."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            default="",
            help="A signed checkpoint (from an auditor's email) to check against, instead of "
            "the latest in the checkpoint file.",
        )

    def handle(self, *args, checkpoint: str, **options):
        try:
            point = checkpoint_read(checkpoint) if checkpoint else checkpoint_latest()
        except CheckpointInvalid as exc:
            raise CommandError(f"Checkpoint refused: {exc}") from exc
        # What waits to be sealed is sealed first, so the check covers everything written.
        audit_seal()
        report = audit_verify(point)
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at event #{report.broken_seq}: {report.reason} "
                f"({report.checked} events before it are intact)."
            )
        against = f"; matches the checkpoint of {point.at} (#{point.seq})" if point else ""
        if report.unsealed:
            against += f"; {report.unsealed} newer events wait to be sealed"
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {report.checked} events{against}.")
        )
