# The b24-1c image: the app's wheel (never the sandboxes) on python:3.11-slim, run as a non-root user.
# One image serves every process; compose.yaml picks the command: `b24app web`, `b24app worker`,
# `b24app scheduler`, and `b24app db upgrade` once before them.
#
#   docker build -t b24-1c .

FROM python:3.11-slim AS build
WORKDIR /src
# Only what the wheel is built from: pyproject.toml's packages are b24app* (sandboxes/ is a distribution of its own).
COPY pyproject.toml README.md ./
COPY b24app ./b24app
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
# The page templates and the app's registration (manifest/app.toml) live next to the package, not inside it:
# b24app/web/__init__.py and b24app/manifest.py look for them in the directory that holds b24app/, which in this
# image is the virtualenv's site-packages.
ARG SITE_PACKAGES=/opt/venv/lib/python3.11/site-packages
COPY --from=build /wheels /wheels
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /wheels b24app \
 && rm -rf /wheels \
 && useradd --system --uid 10001 --user-group --home-dir /app --create-home --shell /usr/sbin/nologin b24app
COPY templates ${SITE_PACKAGES}/templates
COPY manifest ${SITE_PACKAGES}/manifest
WORKDIR /app
USER b24app
EXPOSE 8000
# The web process by default (what the Procfile's `web` runs); the worker and the scheduler override the command.
CMD ["b24app", "web", "--bind", "0.0.0.0:8000", "--workers", "4"]
