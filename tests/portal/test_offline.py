"""Government intranets have no internet: no page may load a script, style or font from another host."""

from __future__ import annotations

import re

import pytest

from tests import factories

EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//(?!testserver)""", re.IGNORECASE)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/services/SVC-1/",
        "/track/",
        "/halls/hall/board/",
        "/accounts/login/",
        "/api/v1/docs",
        "/admin/login/",
    ],
)
def test_pages_load_nothing_from_outside(county, client_for, path):
    factories.published_service(county, "SVC-1")
    response = client_for(None).get(path)
    assert response.status_code == 200
    assert EXTERNAL.findall(response.content.decode()) == []
