"""Matching CRM companies to the registry: the probabilistic tier (Splink) between the two dbt steps."""
