from django.urls import path

from . import applications, views

app_name = "tenant_admin"
urlpatterns = [
    path("groups/", views.group_index, name="groups"),
    path("groups/new/", views.group_edit, name="group_create"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("applications/", applications.application_index, name="applications"),
    path("applications/new/", applications.application_new, name="application_create"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/<str:action>/",
        applications.application_action,
        name="application_action",
    ),
    path("roles/", views.role_index, name="roles"),
    path("roles/new/", views.RoleCreateView.as_view(), name="role_create"),
    path("roles/<int:pk>/", views.role_detail, name="role_detail"),
    path("roles/<int:pk>/edit/", views.RoleEditView.as_view(), name="role_edit"),
    path("roles/<int:pk>/duplicate/", views.RoleDuplicateView.as_view(), name="role_duplicate"),
    path("roles/<int:pk>/delete/", views.RoleDeleteView.as_view(), name="role_delete"),
    path("role-assignments/", views.assignment_index, name="assignments"),
    path("role-assignments/new/", views.AssignmentEditView.as_view(), name="assignment_create"),
    path("role-assignments/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path(
        "role-assignments/<int:pk>/edit/",
        views.AssignmentEditView.as_view(),
        name="assignment_edit",
    ),
    path(
        "role-assignments/<int:pk>/delete/",
        views.AssignmentDeleteView.as_view(),
        name="assignment_delete",
    ),
]
