"""Report pages, mounted at /reports/."""

from django.urls import URLPattern, URLResolver, path

from engagement.reports import views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report_list, name="list"),
    path("<int:report_id>/", views.report_detail, name="report"),
    path("<int:report_id>/export.<str:fmt>", views.report_export, name="export"),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:action_id>/", views.action_detail, name="action"),
    path("actions/<int:action_id>/status/", views.action_status, name="action_status"),
    path("actions/<int:action_id>/heard-you/", views.action_heard_you, name="action_heard_you"),
]
