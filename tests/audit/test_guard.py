"""The audit log's guard has no switch the portal's own database user can flip: UPDATE, DELETE
and TRUNCATE are refused for every role but maa_audit_maintenance (audit migration 0007)."""

import os

import psycopg
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.chain import audit_record, audit_seal

pytestmark = pytest.mark.django_db(transaction=True)
# Roles belong to the whole cluster: each pytest-xdist process creates its own.
APP_ROLE = f"maa_portal_app_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _as_superuser(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def portal_user():
    """A login role like the portal's own in production: owns nothing, may write its tables
    (TRUNCATE included, as an owner could), is no superuser and no member of the maintenance
    role."""
    _as_superuser(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') "
        f"THEN CREATE ROLE {APP_ROLE} LOGIN; END IF; END $$;"
    )
    _as_superuser(
        f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON audit_auditevent TO {APP_ROLE}"
    )
    settings = connection.settings_dict
    conninfo = (
        f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} "
        f"dbname={settings['NAME']} user={APP_ROLE}"
    )

    def run(*statements: str) -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    yield run
    _as_superuser(f"REVOKE ALL ON audit_auditevent FROM {APP_ROLE}")


def _events(n: int = 3) -> None:
    for i in range(n):
        audit_record(actor=None, action="test.event", note=str(i))
    audit_seal()


REFUSED = [
    "TRUNCATE audit_auditevent",
    "DELETE FROM audit_auditevent",
    "UPDATE audit_auditevent SET note = 'rewritten'",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_portals_user_cannot_rewrite_the_log_even_with_the_old_switch(portal_user, statement):
    _events()
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        portal_user("SET maa.allow_audit_truncate = on", statement)
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="test.event").count() == 3


def test_the_portals_user_cannot_become_the_maintenance_role(portal_user):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        portal_user("SET ROLE maa_audit_maintenance")


def test_an_operator_in_the_maintenance_role_can(portal_user):
    _events()
    _as_superuser(f"GRANT maa_audit_maintenance TO {APP_ROLE}")
    try:
        portal_user("SET ROLE maa_audit_maintenance", "DELETE FROM audit_auditevent")
    finally:
        _as_superuser(f"REVOKE maa_audit_maintenance FROM {APP_ROLE}")
    from audit.models import AuditEvent

    assert not AuditEvent.objects.exists()


def test_an_existing_database_upgrades_and_is_then_protected(portal_user):
    """Before 0007 the session setting opened the guard; after the upgrade it does not."""
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0006_trigram_search")])
    try:
        _events(2)
        portal_user("SET maa.allow_audit_truncate = on", "TRUNCATE audit_auditevent")  # the hatch
        _events(2)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        portal_user("SET maa.allow_audit_truncate = on", "TRUNCATE audit_auditevent")
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="test.event").count() == 2
