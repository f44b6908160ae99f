from django.urls import URLPattern, URLResolver, path

from engagement.platform import branding_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/settings/branding/", branding_views.branding_settings, name="branding"),
    path("admin/settings/profile/", branding_views.profile, name="staff-profile"),
    path("branding.css", branding_views.branding_css, name="branding-css"),
    path("branding/logo", branding_views.branding_logo, name="branding-logo"),
]
