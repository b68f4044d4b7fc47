"""The demo county: `civicpulse demo` builds a realistic county from a seed (see builder.py)."""
