"""Benchmark settings: production-like (DEBUG off for query speed), on DATABASE_URL."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")  # keeps the dev secret usable; DEBUG is turned off below
from .base import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
