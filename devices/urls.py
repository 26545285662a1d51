from django.urls import path

from . import views

app_name = "devices"
urlpatterns = [
    path("", views.device_index, name="list"),
    path("<int:pk>/", views.device_detail, name="detail"),
    path("bulk/", views.BulkActionView.as_view(), name="bulk"),
    path("bulk/<str:key>/", views.bulk_detail, name="bulk_detail"),
    path("<int:pk>/sync/", views.device_sync, name="sync"),
    path("<int:pk>/category/", views.device_category, name="set_category"),
    path("categories/", views.category_index, name="categories"),
    path("categories/new/", views.CategoryCreateView.as_view(), name="category_create"),
    path("categories/<int:pk>/edit/", views.CategoryEditView.as_view(), name="category_edit"),
    path("categories/<int:pk>/delete/", views.CategoryDeleteView.as_view(), name="category_delete"),
    path("<int:pk>/<str:kind>/", views.DeviceActionView.as_view(), name="action"),
]
