from django.urls import path

from civicpulse.publication import views

app_name = "publication"
urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("preview/", views.preview, name="preview"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/withdraw/", views.withdraw, name="withdraw"),
]
