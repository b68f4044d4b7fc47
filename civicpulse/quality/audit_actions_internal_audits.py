"""The audit-trail sentences and messages of internal audits (being written)."""
