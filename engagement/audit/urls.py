from django.urls import URLPattern, path

from engagement.audit import views

app_name = "audit"

urlpatterns: list[URLPattern] = [
    path("", views.account, name="account"),
    path("two-factor/", views.two_factor, name="two-factor"),
    path("two-factor/setup/", views.enrol, name="enrol"),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="sign-out-everywhere"),
    path("sign-in-failed/", views.sign_in_failed, name="sign-in-failed"),
]
