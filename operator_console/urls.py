from django.contrib import admin
from django.urls import path

from operator_console import views

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard_view), name="operator-dashboard"),
    path("run/<slug:task>/", admin.site.admin_view(views.run_task_view), name="operator-run-task"),
]
