# Boucle — offers. Build from the repository root:
#   docker build -f deploy/docker/offers.Dockerfile -t boucle/offers .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 BOUCLE_VAR_DIR=/var/lib/boucle
WORKDIR /app
COPY pyproject.toml README.md requirements-offers.lock ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-deps --require-hashes -r requirements-offers.lock && pip install --no-deps . && useradd --system --uid 10001 --home-dir /var/lib/boucle --create-home boucle
USER 10001
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/readyz', timeout=2)"
CMD ["uvicorn", "--factory", "offers.main:create_app", "--host", "0.0.0.0", "--port", "8001"]
