"""The surveys app's URLs alone (as mounted by engagement/urls.py), so these tests do not depend
on the other apps' pages being importable while they are being built."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("engagement.platform.urls")),  # branding stylesheet and logo
    path("admin/", admin.site.urls),
    path("api/v1/", include("surveys.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include("surveys.urls")),
]
