from django.urls import path

from assignments.views import AssignableAssignView, AssignableDeleteView
from rbac.decorators import permission_required

from . import views
from .operations import SPECS

app_name = "device_policies"
urlpatterns = []
for family, spec in SPECS.items():
    prefix, at = spec.prefix, {"family": family}
    readable = permission_required(spec.permissions["read"])
    urlpatterns += [
        path(f"{prefix}/", readable(views.policy_index), at, name=f"{prefix}_list"),
        path(
            f"{prefix}/new/<str:platform>/",
            views.PolicyCreateView.as_view(spec=spec),
            at,
            name=f"{prefix}_create",
        ),
        path(f"{prefix}/<int:pk>/", readable(views.policy_detail), at, name=f"{prefix}_detail"),
        path(
            f"{prefix}/<int:pk>/edit/",
            views.PolicyEditView.as_view(spec=spec),
            at,
            name=f"{prefix}_edit",
        ),
        path(
            f"{prefix}/<int:pk>/assign/",
            AssignableAssignView.as_view(spec=spec),
            at,
            name=f"{prefix}_assign",
        ),
        path(
            f"{prefix}/<int:pk>/delete/",
            AssignableDeleteView.as_view(spec=spec),
            at,
            name=f"{prefix}_delete",
        ),
    ]
