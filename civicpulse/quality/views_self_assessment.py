"""Pages of self assessment (being written)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
