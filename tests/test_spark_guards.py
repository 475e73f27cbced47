"""Cheap guards, in `make test`, for the four ways the project once went wrong on Spark without an error (the parity
test, `make test-spark`, finds them too, but it needs Java and 15 minutes): a DuckDB-only regular-expression flag,
seed values pasted unescaped, a sorted list that loses its order, and an overwrite that wipes a whole table."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

PROJECT = REPO / "dbt_project"


EXPRESSIONS = [
    "{{ spark_seed_literal(\"L'Abergement-Clémenciat\", 'string') }}",
    "{{ spark_seed_literal('\\\\b(directeur|dg)\\\\b', 'string') }}",
    "{{ spark_seed_literal(none, 'int') }}",
    "{{ spark__sorted_listagg('reason', \"'; '\", ['-points', 'rule'], \"component = 'fit'\") }}",
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> list[str]:
    """The macros' SQL as Spark would get it, rendered by one `dbt compile --inline` (any target renders them)."""
    tmp_path = tmp_path_factory.mktemp("guards")
    inline = " @@ ".join(EXPRESSIONS)
    out = subprocess.run([str(Path(sys.executable).parent / "dbt"), "compile", "--quiet", "--output", "json",
                          "--inline", inline, "--target-path", str(tmp_path / "target")],
                         cwd=PROJECT, capture_output=True, text=True, check=True)
    compiled = json.loads(out.stdout[out.stdout.index("{"):])["compiled"]
    return [part.strip() for part in compiled.split("@@")]


def test_no_model_passes_duckdbs_global_flag_to_regexp_replace_inline():
    """Spark's fourth argument of regexp_replace is a position: 'g' made every BODACC SIREN null there."""
    inline = [f"{path.relative_to(PROJECT)}:{n}" for path in (PROJECT / "models").rglob("*.sql")
              for n, line in enumerate(path.read_text().splitlines(), 1)
              if re.search(r"regexp_replace\(.*'g'\)", line)]
    assert inline == [], f"use the macro replace_every_match: {inline}"


def test_seed_values_reach_spark_as_escaped_literals_and_empty_cells_as_null(rendered):
    quote, word_boundary, empty = rendered[:3]
    assert quote == "cast('L\\'Abergement-Clémenciat' as string)"
    assert word_boundary == "cast('\\\\b(directeur|dg)\\\\b' as string)", "a backslash reaches Spark doubled"
    assert empty == "cast(null as int)", "an empty cell is null, not the text 'None'"
    seeds = (PROJECT / "macros" / "spark_seeds.sql").read_text()
    assert "macro spark__load_csv_rows" in seeds and "spark_seed_literal(value" in seeds


def test_sorted_lists_keep_their_order_on_spark(rendered):
    """dbt.listagg drops its ORDER BY on Spark: the models sort through sorted_listagg, whose Spark form sorts."""
    ordered_listagg = [str(path.relative_to(PROJECT)) for path in (PROJECT / "models").rglob("*.sql")
                       if re.search(r"dbt\.listagg\([^)]*order by", path.read_text(), re.S)]
    assert ordered_listagg == [], f"use sorted_listagg: {ordered_listagg}"
    spark_form = rendered[3]
    assert "array_sort(collect_list(case when component = 'fit' then named_struct('k1', -points, 'k2', rule" in spark_form
    assert spark_form.startswith("case when count("), "no reason at all is null, as on DuckDB"


def test_no_model_overwrites_a_table_it_does_not_partition():
    """insert_overwrite without partitions replaces the whole table with the day's rows; and a model DuckDB keeps
    by delete+insert is a table on Spark (macro incremental_on_duckdb), never an overwrite."""
    for path in (PROJECT / "models").rglob("*.sql"):
        sql = path.read_text()
        if "insert_overwrite" in sql:
            assert "partition_by" in sql, f"{path.name}: insert_overwrite needs partition_by"
        if "delete+insert" in sql:
            assert "materialized=incremental_on_duckdb()" in sql, path.name
