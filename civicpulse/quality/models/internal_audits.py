"""Internal audits: programmes, audits, auditors, checklists and findings (being written)."""

__all__: list[str] = []
