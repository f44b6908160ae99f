"""Customer pages (no login): personal links /s/, the public link /p/, unsubscribe /u/."""

from django.urls import URLPattern, URLResolver, path

from surveys import channel_views, views

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = [
    path("s/<str:token>/", views.personal, name="personal"),
    path("s/<str:token>/thanks/", views.personal_thanks, name="personal-thanks"),
    path("p/<str:token>/", views.public, name="public"),
    path("p/<str:token>/thanks/", views.public_thanks, name="public-thanks"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("w/<str:token>/", views.widget, name="widget"),
    path("channels/line/webhook/", channel_views.line_webhook, name="line-webhook"),
    path("channels/sms/inbound/", channel_views.sms_inbound, name="sms-inbound"),
    path("channels/sms/status/", channel_views.sms_status, name="sms-status"),
]
