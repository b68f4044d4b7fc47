"""Request facts that depend on the deployment rather than on the request alone."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: from the header the operator's reverse proxy sets, else REMOTE_ADDR."""
    header = str(settings.CIVICPULSE.get("CLIENT_IP_HEADER", ""))
    if header:
        # The proxy appends; the left-most entry of a forwarded list is the original client.
        value = request.headers.get(header, "").split(",")[0].strip()
        if value:
            return value[:45]
    return str(request.META.get("REMOTE_ADDR", ""))
