from django.urls import path

from . import views

app_name = "devices"
urlpatterns = [
    path("", views.device_index, name="list"),
    path("<int:pk>/", views.device_detail, name="detail"),
    path("<int:pk>/sync/", views.device_sync, name="sync"),
    path("<int:pk>/<str:kind>/", views.DeviceActionView.as_view(), name="action"),
]
