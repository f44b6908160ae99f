"""The OpenID Connect sign-in URLs (names as mozilla-django-oidc expects them, no namespace)."""

from django.urls import URLPattern, path

from engagement.audit.oidc import StaffOIDCAuthenticateView, StaffOIDCCallbackView

urlpatterns: list[URLPattern] = [
    path("callback/", StaffOIDCCallbackView.as_view(), name="oidc_authentication_callback"),
    path("authenticate/", StaffOIDCAuthenticateView.as_view(), name="oidc_authentication_init"),
]
