"""Publishing the audit chain's signed checkpoints: to the checkpoint file and to the auditors.

Auditors are everyone holding Audit data: Read; their mailboxes are outside the database, so a
cut tail can be shown with `manage.py verify_audit --checkpoint <token from the email>`.
"""

from django.core.mail import send_mail

from audit.checkpoints import Checkpoint, checkpoint_make, checkpoint_write
from rbac.catalogue import Perm
from rbac.selectors import users_with_permission


def audit_checkpoint_publish() -> Checkpoint:
    checkpoint = checkpoint_make()
    path = checkpoint_write(checkpoint)
    auditors = list(
        users_with_permission(Perm.AUDIT_READ).exclude(email="").values_list("email", flat=True)
    )
    if auditors:
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
            recipient_list=auditors,
        )
    return checkpoint
