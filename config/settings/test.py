"""Test settings: the base settings with fast hashing and no throttling.

``DATABASE_URL`` and ``REDIS_URL`` still decide the database and broker, so ``.ci/run`` tests
on PostgreSQL and Redis while a bare ``make test`` uses SQLite.
"""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True  # integration tests that need a worker start one explicitly
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_FAILURE_LIMIT = 5
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
DATABASES.pop("progress", None)  # noqa: F405 - jobs report on the default connection in tests
# A plug-in app that registers a link, an entity-history section, a periodic job and public
# projections from its ready() alone (tests/plugin_app/): it shows how a new app plugs in.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.plugin_app"]  # noqa: F405
