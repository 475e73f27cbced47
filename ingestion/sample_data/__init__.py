"""Seeded generator of a complete landing zone in the published formats (see `python -m ingestion.sample_data -h`)."""
