"""What an applicant may upload: checked by size and by the file's own first bytes, not its name."""

from __future__ import annotations

from dataclasses import dataclass

# Signatures of the accepted formats: scans and photos of documents.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


@dataclass(frozen=True)
class UploadCheck:
    content_type: str | None
    problem: str | None  # "too_large", "empty" or "unsupported_type"


def check_upload(head: bytes, size: int, max_bytes: int) -> UploadCheck:
    """Classify an upload from its size and first bytes."""
    if size == 0:
        return UploadCheck(None, "empty")
    if size > max_bytes:
        return UploadCheck(None, "too_large")
    for content_type, signatures in _SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return UploadCheck(content_type, None)
    return UploadCheck(None, "unsupported_type")
