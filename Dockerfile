# syntax=docker/dockerfile:1
# Two stages: dependencies are built into a virtualenv with the lock file's exact versions,
# then copied into a slim runtime image that runs as a non-root user. Static files are
# collected at build time, so a container start does no more than serve.
# The base image is pinned to a patch release; pin its digest too if you rebuild rarely.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
ENV PATH=/venv/bin:$PATH
WORKDIR /src
# The lock file first: this layer is rebuilt only when dependencies change.
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY . .
RUN pip install --no-deps . \
 && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/venv/bin:$PATH
RUN useradd --system --uid 10001 --create-home --home-dir /home/app app
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build --chown=app:app /src /app
USER app
EXPOSE 8000
# /healthz: the database answers (the load balancer's question); detection freshness is
# /readyz's, which the proxy or an alert may poll.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
  CMD ["python", "bin/healthcheck", "http://127.0.0.1:8000/healthz"]
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--workers", "4", "--loop", "uvloop", "--http", "httptools", "--no-access-log", \
     "--backlog", "4096", "--timeout-keep-alive", "30", "--no-proxy-headers"]
