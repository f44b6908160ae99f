from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from engagement.demo import views as demo_views
from engagement.platform import views

api_v1 = [
    path("", include("engagement.customers.api")),
    path("", include("surveys.api")),
    path("", include("voc.api")),
    path("", include("voc.triage.api")),
    path("", include("engagement.dashboard.api")),
    path("", include("engagement.dashboard.analysis.api")),
    path("", include("engagement.reports.api")),
    re_path(r"^(?P<path>[\s\S]*)$", views.api_not_found),
]

urlpatterns = [
    path("", demo_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("engagement.platform.urls")),
    path("admin/dashboard/", include("engagement.dashboard.urls")),
    path("admin/triage/", include("voc.triage.urls")),
    path("admin/voc/", include("voc.urls")),
    path("accounts/", include("engagement.audit.urls")),
    path("oidc/", include("engagement.audit.oidc_urls")),
    path("admin/", admin.site.urls),
    path("reports/", include("engagement.reports.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("surveys.urls")),
]
