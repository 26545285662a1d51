from django.urls import path

from . import views

app_name = "rbac"
urlpatterns = [
    path("groups/", views.group_index, name="groups"),
    path("groups/new/", views.group_edit, name="group_create"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("roles/", views.role_index, name="roles"),
    path("roles/new/", views.role_create_view, name="role_create"),
    path("roles/<int:pk>/", views.role_detail, name="role_detail"),
    path("roles/<int:pk>/edit/", views.role_edit_view, name="role_edit"),
    path("roles/<int:pk>/duplicate/", views.role_duplicate_view, name="role_duplicate"),
    path("roles/<int:pk>/delete/", views.role_delete_view, name="role_delete"),
    path("role-assignments/", views.assignment_index, name="assignments"),
    path("role-assignments/new/", views.assignment_edit_view, name="assignment_create"),
    path("role-assignments/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("role-assignments/<int:pk>/edit/", views.assignment_edit_view, name="assignment_edit"),
    path(
        "role-assignments/<int:pk>/delete/", views.assignment_delete_view, name="assignment_delete"
    ),
    path("profile/", views.profile, name="profile"),
]
