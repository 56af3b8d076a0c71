# Production image: gunicorn serving Django, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.base PYTHONPATH=/app
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, in a layer of their own (rebuilt only when pyproject.toml changes): no
# package of ours is here yet, so the wheel holds none; the code runs from /app (PYTHONPATH).
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
# .dockerignore keeps .env (secrets), .git, .venv and var/ out of the build context; refuse to
# build an image that holds them anyway (a build from a context without that file).
COPY . .
RUN for p in .env .git .venv var; do \
      if [ -e "$p" ]; then echo "$p must not be in the image (see .dockerignore)" >&2; exit 1; fi; \
    done
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --system --home /app app && mkdir -p /app/var/media && chown -R app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "120", "--access-logfile", "-"]
