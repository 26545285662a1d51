from django.urls import path

from . import views

app_name = "device_scripts"
urlpatterns = [
    path("", views.script_index, name="list"),
    path("new/<str:kind>/", views.ScriptCreateView.as_view(), name="create"),
    path("<int:pk>/", views.script_detail, name="detail"),
    path("<int:pk>/edit/", views.ScriptEditView.as_view(), name="edit"),
    path("<int:pk>/assign/", views.ScriptAssignView.as_view(), name="assign"),
    path("<int:pk>/delete/", views.ScriptDeleteView.as_view(), name="delete"),
]
