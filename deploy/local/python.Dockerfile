# Boucle's local stand-in for python:3.11-slim, built from Debian's packages (scripts/containers.sh): bookworm's
# Python 3.11 in a virtual environment on the PATH, so that `python` and `pip` work as in the public image.
# ca/ holds the host's own certificate authorities (/usr/local/share/ca-certificates, often none): where the
# registries are reached through a proxy that presents its own certificates, pip in a build trusts it as the host does.
FROM boucle-local/debian:bookworm
COPY ca/ /usr/local/share/ca-certificates/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && update-ca-certificates >/dev/null \
 && python3 -m venv /opt/python
ENV PATH=/opt/python/bin:$PATH PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
