# The application's image, for compose.yaml: web (gunicorn), worker (Celery) and
# scheduler (supercronic running deploy/crontab) all run it.
FROM python:3.11-slim-bookworm

ARG TARGETARCH=amd64
ARG SUPERCRONIC_VERSION=v0.2.33
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && case "$TARGETARCH" in \
         amd64) sum=71b0d58cc53f6bd72cf2f293e09e294b79c666d8 ;; \
         arm64) sum=e0f0c06ebc5627e43b25475711e694450489ab00 ;; \
         *) echo "no supercronic for $TARGETARCH" && exit 1 ;; \
       esac \
    && curl -fsSLo /usr/local/bin/supercronic \
       "https://github.com/aptible/supercronic/releases/download/${SUPERCRONIC_VERSION}/supercronic-linux-${TARGETARCH}" \
    && echo "$sum  /usr/local/bin/supercronic" | sha1sum -c - \
    && chmod +x /usr/local/bin/supercronic \
    && useradd --system --home-dir /srv/library --shell /usr/sbin/nologin library

WORKDIR /srv/library
COPY pyproject.toml README.md ./
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir .
COPY . .
# Hashed, compressed static files for whitenoise; the values are for this step only.
RUN PRODUCTION=true SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnop \
    ALLOWED_HOSTS=build.invalid EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    .venv/bin/python manage.py collectstatic --noinput --verbosity 0 \
    && rm -f /tmp/build.sqlite3 \
    && mkdir -p media /var/lib/library/witness /var/lib/library/audit-archive \
    && chown -R library:library media /var/lib/library

ENV PATH=/srv/library/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GUNICORN_BIND=0.0.0.0:8000
USER library
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]
