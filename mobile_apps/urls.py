from django.urls import path

from assignments.views import AssignableAssignView, AssignableDeleteView

from . import views
from .operations import APPS

app_name = "mobile_apps"
urlpatterns = [
    path("", views.app_index, name="list"),
    path("new/<str:app_type>/", views.AppCreateView.as_view(spec=APPS), name="create"),
    path("<int:pk>/", views.app_detail, name="detail"),
    path("<int:pk>/edit/", views.AppEditView.as_view(spec=APPS), name="edit"),
    path("<int:pk>/assign/", AssignableAssignView.as_view(spec=APPS), name="assign"),
    path("<int:pk>/delete/", AssignableDeleteView.as_view(spec=APPS), name="delete"),
]
