"""Plain-Python ingestion: read, validate and land source files into the DuckDB warehouse (no Dagster import)."""
