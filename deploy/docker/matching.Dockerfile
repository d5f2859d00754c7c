# Boucle — matching. Build from the repository root:
#   docker build -f deploy/docker/matching.Dockerfile -t boucle/matching .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 BOUCLE_VAR_DIR=/var/lib/boucle
WORKDIR /app
COPY pyproject.toml README.md requirements-matching.lock ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-deps --require-hashes -r requirements-matching.lock && pip install --no-deps . && useradd --system --uid 10001 --home-dir /var/lib/boucle --create-home boucle
USER 10001
EXPOSE 8002
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8002/readyz', timeout=2)"
CMD ["uvicorn", "--factory", "matching.main:create_app", "--host", "0.0.0.0", "--port", "8002"]
