from django.urls import path

from . import views

app_name = "printers"
urlpatterns = [path("", views.printer_index, name="list")]
