"""Quality API: controlled documents, nonconformities and actions; internal audits and self-assessments
under their own sub-routers."""

from ninja import Router
from ninja.security import django_auth

from civicpulse.quality.api_internal_audits import router as internal_audits_router
from civicpulse.quality.api_self_assessment import router as self_assessment_router

router = Router(tags=["quality"], auth=django_auth)
router.add_router("/audits", internal_audits_router, tags=["quality: internal audits"])
router.add_router("/self-assessments", self_assessment_router, tags=["quality: self-assessment"])
