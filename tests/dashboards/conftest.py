"""The assessment tests' county (two departments, a hall window serving dept-a, a published service)."""

from tests.assessment.conftest import APPLICANT, at, case_accepted, case_decided, world  # noqa: F401
