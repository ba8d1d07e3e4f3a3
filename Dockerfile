# One image for every role: web (gunicorn), worker and beat (Celery). See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 app
COPY pyproject.toml README.md ./
COPY processor ./processor
COPY workers ./workers
RUN pip install --no-cache-dir . && mkdir -p /app/var && chown -R app /app/var
USER app
EXPOSE 8000
CMD ["wix-meetings", "serve", "--host", "0.0.0.0"]
