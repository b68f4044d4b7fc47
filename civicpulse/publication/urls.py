from django.urls import URLPattern

app_name = "publication"
urlpatterns: list[URLPattern] = []
