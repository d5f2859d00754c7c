# Boucle's development SMTP sink (shared/mailsink.py), the stand-in for Mailpit, on Debian's packages of what it
# imports. Build from the repository root: SMTP on SMTP_PORT, its mailbox (web and JSON) on HTTP_PORT.
FROM boucle-local/debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-aiosmtpd python3-fastapi \
    python3-uvicorn python3-jinja2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/mailsink --create-home mailsink
WORKDIR /app
COPY shared/__init__.py shared/mailsink.py ./shared/
COPY shared/templates/mailsink ./shared/templates/mailsink
USER 10001
ENV SMTP_PORT=1025 HTTP_PORT=8025
CMD ["sh", "-c", "exec python3 -m shared.mailsink --smtp-host 127.0.0.1 --smtp-port $SMTP_PORT --http-host 127.0.0.1 --http-port $HTTP_PORT --store /var/lib/mailsink/mail"]
