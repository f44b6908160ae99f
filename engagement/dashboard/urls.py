from django.urls import URLPattern, URLResolver, path

from engagement.dashboard import views
from engagement.dashboard.analysis import views as analysis

app_name = "dashboard"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("refresh/", views.refresh, name="refresh"),
    path("csv/<slug:panel>/", views.panel_csv, name="panel-csv"),
    path("drivers/", views.drivers, name="drivers"),
    path("drivers/csv/", views.drivers_csv, name="drivers-csv"),
    path("metrics/", views.customer_metrics, name="metrics"),
    path("metrics/csv/", views.customer_metrics_csv, name="metrics-csv"),
    path("customers/<int:pk>/", views.customer, name="customer"),
    path("compare/", analysis.compare, name="compare"),
    path("crosstab/", analysis.crosstab_page, name="crosstab"),
    path("views/save/", analysis.save_view, name="save-view"),
    path("views/<int:view_id>/", analysis.open_view, name="open-view"),
    path("views/<int:view_id>/delete/", analysis.delete_view, name="delete-view"),
]
