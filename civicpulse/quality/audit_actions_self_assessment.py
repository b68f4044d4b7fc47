"""The audit-trail sentences and messages of self-assessments (being written)."""
