from __future__ import annotations

import pytest
from django.test import Client

from tests import factories


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
