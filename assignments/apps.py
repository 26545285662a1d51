from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    """What scripts, apps and policies share: objects assigned to groups that reach their
    members' devices. Abstract models, the four protected operations, their pages and API."""

    name = "assignments"
    verbose_name = "Assignments"
