"""Staff pages of the VoC app, mounted under /admin/voc/ (inside the admin look).

Paths avoid the admin's own model URLs (/admin/voc/topic/…), which fall through to the admin.
"""

from django.urls import path

from voc import views

app_name = "voc"

urlpatterns = [
    path("topics/", views.topic_list, name="topics"),
    path("topics/<int:topic_id>/", views.topic_detail, name="topic"),
    path("topics/<int:topic_id>/rename/", views.topic_rename, name="topic_rename"),
    path("topics/<int:topic_id>/merge/", views.topic_merge, name="topic_merge"),
    path("topics/<int:topic_id>/split/", views.topic_split, name="topic_split"),
    path("items/move/", views.item_move, name="item_move"),
    path("search/", views.search, name="search"),
    path("cooccurrence/", views.cooccurrence, name="cooccurrence"),
    path("import/", views.import_csv, name="import"),
    path("analysis/", views.analysis, name="analysis"),
    path("coding/", views.coding, name="coding"),
]
