"""Published results for everyone, without signing in: the publications, each with its departments ranked
fairly within their category, its services and its examples of bad reviews put right; and the same figures
as open data (CSV and JSON) with their data dictionary. Only live publications are shown, and every number
comes through the publication's disclosure rules (civicpulse.publication.disclosure)."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from civicpulse.core.errors import NotFound
from civicpulse.publication import display, opendata, selectors
from civicpulse.publication.enums import SubjectKind
from civicpulse.publication.indicators import PUBLISHED
from civicpulse.publication.models import PublishedPeriod

# Published figures never change: proxies and browsers may keep them a while.
CACHE = "public, max-age=300"


def _base() -> str:
    return str(settings.CIVICPULSE.get("PUBLIC_BASE_URL", "")).rstrip("/")


def _live(slug: str) -> PublishedPeriod:
    try:
        return selectors.live_period(slug=slug)
    except NotFound:
        raise Http404 from None


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/results/index.html", {"periods": list(selectors.live_periods())})


def period(request: HttpRequest, slug: str) -> HttpResponse:
    published = _live(slug)
    context = display.results_context(selectors.public_results(period=published))
    return render(request, "portal/results/period.html", {"period": published, **context})


def department(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    published = _live(slug)
    results = selectors.public_results(period=published)
    try:
        found = results.department(code)
    except NotFound:
        raise Http404 from None
    category = next(c for c in results.categories if c.code == found.category_code)
    (row,) = display.rows([found])
    context = {
        "period": published,
        "department": found,
        "category": category,
        "row": row,
        "headers": display.headers(),
        "services": display.rows([s for s in results.services if s.department_code == code]),
        "examples": display.examples(results, code),
        "threshold": results.threshold,
        "indicators": [{"header": h, "cell": row.cells[h.code]} for h in display.headers()],
    }
    return render(request, "portal/results/department.html", context)


# --- open data --------------------------------------------------------------------------------------------


def open_data(request: HttpRequest) -> HttpResponse:
    periods = list(selectors.live_periods())
    return render(
        request, "portal/results/open_data.html", {"periods": periods, "files": opendata.FILE_NAMES}
    )


def open_data_index(request: HttpRequest) -> HttpResponse:
    base = _base()
    response = JsonResponse(
        {
            "dictionary": f"{base}/open-data/dictionary.json",
            "publications": [opendata.period_meta(p, base) for p in selectors.live_periods()],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = CACHE
    return response


def dictionary_json(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(opendata.dictionary(), json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Cache-Control"] = CACHE
    return response


def dictionary_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/results/dictionary.html",
        {
            "columns": opendata.COLUMNS,
            "indicators": [
                {"indicator": i, "header": h} for i, h in zip(PUBLISHED, display.headers(), strict=True)
            ],
            "threshold": opendata.DEFAULT_THRESHOLD,
        },
    )


_KINDS = {"departments": SubjectKind.DEPARTMENT, "services": SubjectKind.SERVICE}


def open_data_file(request: HttpRequest, slug: str, name: str, ext: str) -> HttpResponse:
    if name not in _KINDS or ext not in ("csv", "json"):
        raise Http404
    published = _live(slug)
    base = _base()
    found = opendata.rows(published, selectors.public_results(period=published), _KINDS[name], base=base)
    if ext == "csv":
        response = HttpResponse(opendata.as_csv(found), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{published.slug}-{name}.csv"'
    else:
        response = HttpResponse(
            json.dumps(opendata.as_json(published, found, base), ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
    response["Cache-Control"] = CACHE
    response["ETag"] = f'"{published.digest}-{name}-{ext}"'
    return response
