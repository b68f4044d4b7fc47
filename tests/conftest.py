from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tests import factories


@pytest.fixture(autouse=True)
def _no_language_leaks():
    """Requests activate a language in this thread; start every test from the installation's default."""
    yield
    translation.deactivate()


@pytest.fixture
def county(db: None) -> factories.County:
    return factories.county()


@pytest.fixture
def client_for():
    """A Django test client signed in as the given user (or anonymous for None)."""

    def make(user=None, language: str = "en") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            client.force_login(user)
        return client

    return make
