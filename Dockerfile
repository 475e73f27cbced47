# One image for the Dagster code location, the webserver and the daemon (the Helm values in deploy/helm/ run it as the
# user deployment and as the run pods). Build: docker build -t lead-qualification .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/home \
    LEADS_AUTOMATION=on

RUN pip install --no-cache-dir uv

WORKDIR /opt/lead-qualification
# the locked environment first, so that a code change does not reinstall it (no dev group: no test tools)
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
# the dbt manifest, parsed once here: the code location loads it instead of parsing at every start
RUN cd dbt_project && dbt parse --quiet \
    && mkdir -p "$DAGSTER_HOME" && cp orchestration/dagster.yaml "$DAGSTER_HOME/dagster.yaml"

# Run storage in PostgreSQL when DAGSTER_PG_HOST is set (orchestration/dagster.postgres.yaml), else SQLite in
# DAGSTER_HOME; the landing zone, the warehouse and the publication are volumes (LEADS_LANDING_DIR, ...).
COPY --chmod=755 <<'SH' /usr/local/bin/leads-entrypoint
#!/bin/sh
set -e
if [ -n "$DAGSTER_PG_HOST" ] && ! grep -q "^storage:" "$DAGSTER_HOME/dagster.yaml"; then
  cat /opt/lead-qualification/orchestration/dagster.postgres.yaml >> "$DAGSTER_HOME/dagster.yaml"
fi
exec "$@"
SH
ENTRYPOINT ["leads-entrypoint"]
EXPOSE 3000 4000
# the code location as a gRPC server (Kubernetes); `dagster-webserver -h 0.0.0.0 -w workspace.yaml` and
# `dagster-daemon run -w workspace.yaml` run from the same image
CMD ["dagster", "api", "grpc", "-h", "0.0.0.0", "-p", "4000", "-m", "orchestration.definitions"]
