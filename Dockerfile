# The same Python line as CI, so production runs the Django that the tests prove.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORTAL_DATA_DIR=/data \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles \
    WHITENOISE_USE_FINDERS=false

WORKDIR /app
COPY pyproject.toml manage.py ./
COPY portal ./portal
COPY imports ./imports
COPY simulator ./simulator
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir . \
    && useradd --system --home /app portal \
    && mkdir -p /data \
    && chown portal /data
# collectstatic reads no secret; the placeholders only let settings load.
RUN SECRET_KEY=build-only PORTAL_ENCRYPTION_KEYS=build-only python manage.py collectstatic --noinput

USER portal
EXPOSE 8000
CMD ["python", "-m", "portal.processes", "web"]
