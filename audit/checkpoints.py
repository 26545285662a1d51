"""Signed checkpoints of the chain's head, kept outside the database.

The hash chain shows an edited, deleted or reordered event, but not a cut tail: delete the
newest events and what is left still links up. A checkpoint (the head's number and hash, signed
with a key the database does not hold) published elsewhere on a schedule closes that gap:
verification against the latest one reports a chain shorter than it, or a different head.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.utils import timezone

from .access import audit_reader_emails
from .chain import audit_seal
from .models import AuditEvent

_SALT = "maa-portal.audit-checkpoint"


class CheckpointInvalid(Exception):
    """The checkpoint's signature does not match: it was altered, or signed with another key."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str

    def signed(self) -> str:
        return signing.dumps(asdict(self), key=settings.AUDIT_CHECKPOINT_KEY, salt=_SALT)


def checkpoint_make() -> Checkpoint:
    # The checkpoint covers everything written so far: what waits to be sealed is sealed now.
    audit_seal()
    head = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").only("seq", "hash").first()
    return Checkpoint(
        seq=head.seq if head else 0,
        hash=head.hash if head else "",
        at=timezone.now().isoformat(),
    )


def checkpoint_read(token: str) -> Checkpoint:
    try:
        data = signing.loads(token.strip(), key=settings.AUDIT_CHECKPOINT_KEY, salt=_SALT)
    except signing.BadSignature as exc:
        raise CheckpointInvalid("The checkpoint's signature does not match.") from exc
    return Checkpoint(**data)


def checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def checkpoint_write(checkpoint: Checkpoint) -> Path:
    """Append the signed checkpoint to the checkpoint file (one JSON line each)."""
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({**asdict(checkpoint), "signed": checkpoint.signed()})
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return path


def checkpoint_latest() -> Checkpoint | None:
    """The newest checkpoint in the file whose signature holds, or None without a file."""
    path = checkpoint_file()
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return None
    return checkpoint_read(json.loads(lines[-1])["signed"])


def checkpoint_publish() -> Checkpoint:
    """Make a checkpoint, append it to the checkpoint file and email it to the audit readers.

    Their mailboxes are outside the database, so a cut tail can be shown with
    `manage.py verify_audit --checkpoint <token from the email>`.
    """
    checkpoint = checkpoint_make()
    path = checkpoint_write(checkpoint)
    readers = audit_reader_emails()
    if readers:
        send_mail(
            subject=f"[MAA Portal] Audit log checkpoint: event #{checkpoint.seq}",
            message=(
                f"The audit log's newest event at {checkpoint.at} is #{checkpoint.seq} "
                f"(hash {checkpoint.hash}).\n\n"
                "Keep this email. To check that no event was removed or changed since, run\n"
                "  manage.py verify_audit --checkpoint <the signed checkpoint below>\n\n"
                f"Signed checkpoint:\n{checkpoint.signed()}\n\n"
                f"(Also appended to {path} on the portal's server.)\n"
            ),
            from_email=None,
            recipient_list=readers,
        )
    return checkpoint
