from django.urls import path

from . import views
from .operations import PLATFORM_SCRIPTS

app_name = "device_scripts"
urlpatterns = [
    path("", views.script_index, name="list"),
    path("new/<str:kind>/", views.ScriptCreateView.as_view(spec=PLATFORM_SCRIPTS), name="create"),
    path("<int:pk>/", views.script_detail, name="detail"),
    path("<int:pk>/edit/", views.ScriptEditView.as_view(spec=PLATFORM_SCRIPTS), name="edit"),
    path("<int:pk>/assign/", views.ScriptAssignView.as_view(spec=PLATFORM_SCRIPTS), name="assign"),
    path("<int:pk>/delete/", views.ScriptDeleteView.as_view(spec=PLATFORM_SCRIPTS), name="delete"),
]
