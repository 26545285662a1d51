from django.urls import path

from . import views

app_name = "rbac"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("provisioning/", views.scim_tokens, name="scim_tokens"),
]
