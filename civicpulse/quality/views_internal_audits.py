"""Pages of internal audits (being written)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
