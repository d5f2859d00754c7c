# Boucle — reporting. Build from the repository root:
#   docker build -f deploy/docker/reporting.Dockerfile -t boucle/reporting .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 BOUCLE_VAR_DIR=/var/lib/boucle
# WeasyPrint (the PDF report) draws with pango and needs a font.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md requirements-reporting.lock ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-deps --require-hashes -r requirements-reporting.lock && pip install --no-deps . && useradd --system --uid 10001 --home-dir /var/lib/boucle --create-home boucle
USER 10001
EXPOSE 8004
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8004/readyz', timeout=2)"
CMD ["uvicorn", "--factory", "reporting.main:create_app", "--host", "0.0.0.0", "--port", "8004"]
