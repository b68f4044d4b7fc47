from config import env
from config.settings.base import *  # noqa: F403

DEBUG = False
SESSION_COOKIE_SECURE = env.get_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env.get_bool("SECURE_COOKIES", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
