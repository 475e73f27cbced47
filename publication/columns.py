"""The published tables' columns as BI users read them: name, type in the published files (DuckDB and Parquet have
the same), and meaning (the dbt YAML's description). The README's "Published columns" section is this output:

    uv run python -m publication.columns            # print the section
    uv run python -m publication.columns --write    # rewrite it in README.md

A test fails when the README and the publication disagree (a column added, a type changed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import yaml

from ingestion.settings import REPO_ROOT, load_settings
from publication.publish import DATABASE_NAME, PUBLISHED_MARTS

README = REPO_ROOT / "README.md"
START, END = "<!-- published-columns:start -->", "<!-- published-columns:end -->"
MODELS = REPO_ROOT / "dbt_project" / "models"


def declared_columns() -> tuple[dict[str, tuple[str, dict[str, str]]], dict[str, str]]:
    """Each model's description and its columns' descriptions, from the dbt YAML files; and for each column name the
    first description found (marts first): a name means the same thing in every model of the project."""
    found = {}
    by_name: dict[str, str] = {}
    for path in sorted(MODELS.rglob("*.yml"), key=lambda p: (MODELS / "marts" not in p.parents, str(p))):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            columns = {c["name"]: " ".join(str(c.get("description", "")).split()) for c in model.get("columns", [])}
            found[model["name"]] = (" ".join(str(model.get("description", "")).split()), columns)
            for name, description in columns.items():
                if description:
                    by_name.setdefault(name, description)
    return found, by_name


def published_types(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute("select column_name, data_type from information_schema.columns where table_schema = 'main' "
                       "and table_name = ? order by ordinal_position", [table]).fetchall()


def documented_columns(publish_dir: Path) -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    """Each published mart's description and its columns as (name, published type, meaning)."""
    declared, by_name = declared_columns()
    documented = {}
    with duckdb.connect(str(publish_dir / DATABASE_NAME), read_only=True) as con:
        for mart in PUBLISHED_MARTS:
            columns = published_types(con, mart)
            if columns:
                description, meanings = declared.get(mart, ("", {}))
                documented[mart] = (description, [(name, data_type, meanings.get(name) or by_name.get(name, ""))
                                                  for name, data_type in columns])
    return documented


def section(publish_dir: Path) -> str:
    lines = [START, ""]
    for mart, (description, columns) in documented_columns(publish_dir).items():
        first_sentence = description.split(". ")[0].rstrip(".") + "." if description else ""
        lines += [f"**{mart}** — {first_sentence}", "", "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{name}` | {data_type} | {meaning.replace('|', '/')} |" for name, data_type, meaning in columns]
        lines.append("")
    return "\n".join([*lines, END])


def readme_section(text: str) -> str | None:
    if START not in text or END not in text:
        return None
    return text[text.index(START):text.index(END) + len(END)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite the section in README.md")
    args = parser.parse_args(argv)
    settings = load_settings()
    if not (settings.publish_dir / DATABASE_NAME).exists():
        print(f"nothing published in {settings.publish_dir}: run `make run` first", file=sys.stderr)
        return 1
    generated = section(settings.publish_dir)
    if not args.write:
        print(generated)
        return 0
    text = README.read_text(encoding="utf-8")
    current = readme_section(text)
    if current is None:
        print(f"{README} has no {START} … {END} section to rewrite", file=sys.stderr)
        return 1
    README.write_text(text.replace(current, generated), encoding="utf-8")
    print(f"rewrote the published columns in {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
