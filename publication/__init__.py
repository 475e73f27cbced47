"""The publication for BI tools: the marts as a DuckDB file and Parquet files, the qualification report, the terminal
summary, and the marts' figures shown in Dagster."""
