"""The API of self assessment (being written)."""

from ninja import Router
from ninja.security import django_auth

router = Router(auth=django_auth)
