from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("audit/", views.audit_index, name="index"),
    path("audit/export.<str:fmt>", views.audit_export, name="export"),
]
