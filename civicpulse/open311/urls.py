"""GeoReport v2 under /open311/v2/: every resource with its `.json` or `.xml` suffix (XML without one)."""

from django.urls import URLPattern, re_path

from civicpulse.open311 import views

app_name = "open311"
_FORMAT = r"(?:\.(?P<fmt>[A-Za-z0-9]+))?$"
urlpatterns: list[URLPattern] = [
    re_path(r"^discovery" + _FORMAT, views.discovery, name="discovery"),
    re_path(r"^services" + _FORMAT, views.service_list, name="services"),
    # Service codes may hold dots (SVC.1): the suffix is only ever the last dot's part.
    re_path(
        r"^services/(?P<code>[A-Za-z0-9][A-Za-z0-9._-]*?)" + _FORMAT, views.service_definition, name="service"
    ),
    re_path(r"^requests" + _FORMAT, views.requests, name="requests"),
    re_path(r"^requests/(?P<number>[A-Za-z0-9_-]+)" + _FORMAT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[A-Za-z0-9_-]+)" + _FORMAT, views.token, name="token"),
]
