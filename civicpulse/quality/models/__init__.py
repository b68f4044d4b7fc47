"""The quality system's models, one module per area; Django finds them all here."""

from civicpulse.quality.models.documents import Acknowledgement, Document, DocumentVersion
from civicpulse.quality.models.internal_audits import *  # noqa: F403
from civicpulse.quality.models.nonconformities import Action, Nonconformity, NonconformityRecord
from civicpulse.quality.models.reviews import ManagementReview, ReviewOutput
from civicpulse.quality.models.self_assessment import *  # noqa: F403

__all__ = [
    "Acknowledgement",
    "Action",
    "Document",
    "DocumentVersion",
    "ManagementReview",
    "Nonconformity",
    "NonconformityRecord",
    "ReviewOutput",
]
