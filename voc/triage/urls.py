from django.urls import path

from . import views

app_name = "triage"

urlpatterns = [
    path("items/<int:item_id>/notes/", views.add_note, name="note"),
    path("items/<int:item_id>/tags/", views.add_tag, name="tag"),
    path("items/<int:item_id>/tags/<int:tag_id>/remove/", views.remove_tag, name="untag"),
    path("items/<int:item_id>/reply/", views.reply, name="reply"),
    path("heard-you/", views.heard_you, name="heard_you"),
]
