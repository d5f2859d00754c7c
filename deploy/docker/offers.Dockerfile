# Boucle — offers. Build from the repository root:
#   docker build -f deploy/docker/offers.Dockerfile -t boucle/offers .
# BASE_IMAGE: the public image by default; scripts/containers.sh builds a local one from Debian's packages.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 BOUCLE_VAR_DIR=/var/lib/boucle
WORKDIR /app
# The locked dependencies first, the code after: a change of code reuses the dependencies' layer.
COPY requirements-offers.lock ./
RUN pip install --no-deps --require-hashes -r requirements-offers.lock && useradd --system --uid 10001 --home-dir /var/lib/boucle --create-home boucle
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-deps .
USER 10001
# Every interface by default; UVICORN_HOST=127.0.0.1 where containers share the host's network.
ENV UVICORN_HOST=0.0.0.0
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/readyz', timeout=2)"
CMD ["uvicorn", "--factory", "offers.main:create_app", "--port", "8001"]
