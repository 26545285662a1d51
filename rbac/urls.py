from django.urls import path

from . import views

app_name = "rbac"
urlpatterns = [path("profile/", views.profile, name="profile")]
