"""Dagster definitions: wires ingestion and the dbt project into assets, checks, jobs and resources (no business logic)."""
