"""The HTTP API: one NinjaAPI, one Router per app, one error shape {code, message, detail}."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from civicpulse.accounts.api import router as org_router
from civicpulse.assessment.api import router as assessment_router
from civicpulse.cases.api import public_router as cases_public_router
from civicpulse.cases.api import router as cases_router
from civicpulse.catalogue.api import router as catalogue_router
from civicpulse.core.api import router as core_router
from civicpulse.core.errors import DomainError
from civicpulse.dashboards.api import router as dashboards_router
from civicpulse.evaluations.api import public_router as evaluations_public_router
from civicpulse.evaluations.api import router as evaluations_router
from civicpulse.exchange.api import router as exchange_router
from civicpulse.publication.api import router as publication_router
from civicpulse.quality.api import router as quality_router
from civicpulse.rectification.api import router as rectification_router
from civicpulse.reports.api import router as reports_router

api = NinjaAPI(
    title="CivicPulse API",
    version="1",
    description="Service catalogue, organisation, audit and working-day calendar.",
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    body = {"code": "invalid_request", "message": _("The request is not valid."), "detail": exc.errors}
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"code": "not_authenticated", "message": _("Please sign in."), "detail": None}
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    body = {"code": "http_error", "message": str(exc), "detail": None}
    return api.create_response(request, body, status=exc.status_code)


api.add_router("/catalogue", catalogue_router)
api.add_router("/org", org_router, auth=django_auth)
api.add_router("/cases", cases_router)
api.add_router("", cases_public_router)
api.add_router("", core_router)
api.add_router("/evaluations", evaluations_router)
api.add_router("/evaluate", evaluations_public_router)
api.add_router("/rectification", rectification_router)
api.add_router("/assessment", assessment_router)
api.add_router("/quality", quality_router)
api.add_router("/dashboards", dashboards_router)
api.add_router("/reports", reports_router)
api.add_router("/exchange", exchange_router)
api.add_router("/publication", publication_router)
