from django.urls import path

from civicpulse.exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.index, name="index"),
    path("feeds/<slug:name>/", views.feed_detail, name="feed_detail"),
    path("feeds/<slug:name>/<str:action>/", views.feed_action, name="feed_action"),
    path("batches/<int:batch_id>/download/", views.batch_download, name="batch_download"),
]
