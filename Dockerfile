# Production image: slim, non-root, gunicorn. The same image runs web, worker and beat
# (see docker-compose.yml for the three commands).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 TABLECAST_ENV=production
WORKDIR /app

# pillow-heif and psycopg[binary] ship their libraries in their wheels: no apt packages needed.
RUN useradd --create-home --uid 1000 tablecast

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=tablecast:tablecast . .
# collectstatic needs settings to load; throwaway values, nothing is written but static files.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build SITE_URL=https://build DATABASE_URL=sqlite:////tmp/b.db \
    CELERY_BROKER_URL=redis://build FIELD_ENCRYPTION_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    FACEBOOK_APP_ID=0 FACEBOOK_APP_SECRET=build FACEBOOK_WEBHOOK_VERIFY_TOKEN=build \
    python manage.py collectstatic --noinput

USER tablecast
EXPOSE 8000
# Bind address, workers and the masked access log: config/gunicorn.py.
CMD ["gunicorn", "-c", "config/gunicorn.py"]
