import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests run without collectstatic; the manifest storage would refuse unknown files.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The live server serves static files itself; WhiteNoise would only warn that STATIC_ROOT is not built.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

# A file, not Django's shared-cache in-memory database: there, concurrent writers fail at once with
# "table is locked" instead of queuing on busy_timeout as they do on the real embedded database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# Uploads made by tests go to a throw-away folder, not the installation's var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="civicpulse-test-media-"))
