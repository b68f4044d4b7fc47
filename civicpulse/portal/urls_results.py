"""Published results and open data: stable public addresses (docs/open-data.md)."""

from django.urls import path, re_path

from civicpulse.portal import views_results as views

app_name = "results"
urlpatterns = [
    path("results/", views.index, name="index"),
    path("results/<slug:slug>/", views.period, name="period"),
    path("results/<slug:slug>/departments/<str:code>/", views.department, name="department"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/index.json", views.open_data_index, name="open_data_index"),
    path("open-data/dictionary.json", views.dictionary_json, name="dictionary_json"),
    path("open-data/dictionary/", views.dictionary_page, name="dictionary"),
    re_path(
        r"^open-data/(?P<slug>[-a-zA-Z0-9_]+)/(?P<name>departments|services)\.(?P<ext>csv|json)$",
        views.open_data_file,
        name="file",
    ),
]
