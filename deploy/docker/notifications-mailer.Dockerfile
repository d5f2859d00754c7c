# Boucle — notifications-mailer. Build from the repository root:
#   docker build -f deploy/docker/notifications-mailer.Dockerfile -t boucle/notifications-mailer .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 BOUCLE_VAR_DIR=/var/lib/boucle
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install . && useradd --system --uid 10001 --home-dir /var/lib/boucle --create-home boucle
USER 10001
# No HTTP port: it sends the queued emails; one mailer leads at a time (advisory lock).
CMD ["python", "-m", "notifications.mailer_main"]
