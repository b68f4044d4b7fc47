"""Self-assessment: CAF 2020 and the ISO 18091 diagnostic (being written)."""

__all__: list[str] = []
