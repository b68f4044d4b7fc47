"""The one reader of os.environ: every setting that varies per deployment is read here."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CIVICPULSE_VAR_DIR", BASE_DIR / "var"))


def get(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def get_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def get_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once per installation and kept under var/.

    A key in the source tree would be the same on every install; generating it keeps sessions valid across
    restarts without anyone having to invent one.
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_url() -> str:
    return os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'civicpulse.sqlite3'}")
