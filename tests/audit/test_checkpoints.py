"""A cut tail is caught: signed checkpoints published outside the database, and TRUNCATE refused."""

import json
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.chain import audit_record, audit_seal, audit_verify
from audit.checkpoints import (
    CheckpointInvalid,
    checkpoint_latest,
    checkpoint_publish,
    checkpoint_read,
)
from tests import factories as f


@pytest.fixture
def chain(db):
    for i in range(5):
        audit_record(actor=None, action="test.event", note=f"event {i}")
    audit_seal()


def _sql(statement):
    with connection.cursor() as cursor:
        cursor.execute(statement)


def _cut_tail(keep: int):
    """The table owner switches the guard off and deletes the newest events."""
    _sql("ALTER TABLE audit_auditevent DISABLE TRIGGER maa_audit_append_only")
    _sql(f"DELETE FROM audit_auditevent WHERE seq > {keep}")


def test_a_checkpoint_goes_to_the_file_and_to_every_auditor(chain, settings):
    f.assign(f.builtin("Application Manager"), [f.group("Apps", [f.user("casey")])])
    f.assign(f.role("Audit readers", ["audit_data.read"]), [f.group("Audit", [f.user("ana")])])
    checkpoint = checkpoint_publish()
    lines = Path(settings.AUDIT_CHECKPOINT_FILE).read_text().splitlines()
    from audit.models import AuditEvent

    newest = AuditEvent.objects.order_by("-seq").first()
    assert json.loads(lines[-1])["seq"] == checkpoint.seq == newest.seq
    assert checkpoint_latest() == checkpoint
    [message] = mail.outbox
    assert message.to == ["ana@example.test"]  # Application Manager has no Audit data: Read
    assert checkpoint.signed() in message.body


def test_verify_audit_reports_a_tail_cut_after_the_checkpoint(chain):
    checkpoint = checkpoint_publish()
    audit_record(actor=None, action="test.event", note="after the checkpoint")
    call_command("verify_audit")  # longer than the checkpoint: fine
    _cut_tail(keep=3)
    assert audit_verify().ok  # what is left still links up...
    with pytest.raises(CommandError, match="removed from the end"):
        call_command("verify_audit")  # ...but not up to the checkpoint
    with pytest.raises(CommandError, match="recorded #5"):
        call_command("verify_audit", checkpoint=checkpoint.signed())


def test_a_forged_checkpoint_is_refused(chain):
    token = checkpoint_publish().signed()
    forged = token.replace(token.split(":")[0], "eyJzZXEiOjEsImhhc2giOiIiLCJhdCI6IngifQ")
    with pytest.raises(CheckpointInvalid):
        checkpoint_read(forged)
    with pytest.raises(CommandError, match="Checkpoint refused"):
        call_command("verify_audit", checkpoint=forged)
