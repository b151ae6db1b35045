# Production image: gunicorn serving Django, static files via WhiteNoise.
# The same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 1000 misfire \
    && useradd --system --uid 1000 --gid misfire --home-dir /app --shell /usr/sbin/nologin misfire

WORKDIR /app

# Requirements first so code changes don't invalidate the dependency layer.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=misfire:misfire . .
RUN mkdir -p var && chown misfire:misfire /app var

USER misfire

# Static files are collected into the image; the key is a throwaway used only for this step.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-real-secret-key-0123456789abcdef \
    python manage.py collectstatic --noinput

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
