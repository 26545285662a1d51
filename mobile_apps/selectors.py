"""Reads for apps: the list, install counts, and what devices reported."""

from django.db.models import Count, Q, QuerySet

from assignments.assignable import groups_by_mode
from rbac.selectors import user_has_perm

from .models import AppInstall, InstallStatus, Intent, MobileApp
from .workload import AppPerm


def app_groups(app: MobileApp) -> dict[str, list[int]]:
    return groups_by_mode(app.assignments.all(), Intent.values)


def app_list() -> QuerySet:
    """The apps page: one query whatever the number of apps and devices."""
    counts = {
        status: Count("installs", filter=Q(installs__status=status), distinct=True)
        for status in (InstallStatus.INSTALLED, InstallStatus.FAILED, InstallStatus.PENDING)
    }
    qs = MobileApp.objects.annotate(
        assigned_groups=Count(
            "assignments", filter=~Q(assignments__mode=Intent.EXCLUDE), distinct=True
        ),
        **counts,
    )
    return qs.order_by("name")


def install_counts(app: MobileApp) -> dict[str, int]:
    rows = app.installs.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    counts = dict(rows)
    return {status.value: counts.get(status.value, 0) for status in InstallStatus}


def app_installs(app: MobileApp) -> QuerySet:
    return app.installs.select_related("device").order_by("status", "device__name")


def devices_with_pending_installs() -> QuerySet:
    return AppInstall.objects.filter(status=InstallStatus.PENDING).values("device_id")


def device_panel_context(device, user) -> dict | None:
    """The device page's "Apps" panel, for those who may read apps."""
    if not user_has_perm(user, AppPerm.READ):
        return None
    installs = AppInstall.objects.filter(device=device).select_related("app").order_by("app")
    return {"app_installs": installs}
