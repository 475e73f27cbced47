{#- The predictive model's tables (source predictions), which prediction/store.py writes after the backtest's weekly
    training: declared empty when absent, so that `dbt build` on its own (an analyst's, a benchmark's) builds
    qualified_leads and model_evaluation before any training has run. The columns are prediction/store.py's
    (MODELS_DDL, EVALUATION_DDL, PREDICTIONS_COLUMNS); tests/test_prediction.py checks that the two agree. -#}
{% macro create_prediction_sources() %}
    {% do run_query("create schema if not exists predictions") %}
    {% for statement in adapter.dispatch('prediction_source_tables')() %}
        {% do run_query(statement) %}
    {% endfor %}
{% endmacro %}

{% macro default__prediction_source_tables() %}
    {{ return([
        "create table if not exists predictions.models (
            model_id varchar primary key, trained_at timestamp, as_of_date date, target varchar, status varchar,
            reason_key varchar, reason varchar, leads bigint, positives bigint, training_rows bigint,
            fit_dates varchar, calibration_dates varchar, validation_dates varchar, features varchar,
            parameters varchar, metrics varchar, versions varchar, seconds varchar, best_iteration integer,
            calibration_slope double, calibration_intercept double, categories varchar, model_text varchar)",
        "create table if not exists predictions.model_evaluation (
            model_id varchar, scorer varchar, metric varchar, bin integer, lead_dates bigint, outcomes bigint,
            predicted double, observed double, value double, lower double, upper double)",
        "create table if not exists predictions.lead_predictions (
            as_of_date date, lead_id varchar, model_id varchar, predicted_conversion double,
            predicted_factors varchar, predicted_factors_json varchar)",
    ]) }}
{% endmacro %}

{#- On Spark the tables are the lake's Parquet folders predictions/<table>, which ingestion/lake.py exports from
    DuckDB's (the model trains and scores in Python, on DuckDB): declared again each run with their columns, so that
    with no folder yet they are empty, as on DuckDB before a training. Dropping such a table leaves its files. -#}
{% macro spark__prediction_source_tables() %}
    {%- set columns = {
        'models': "model_id string, trained_at timestamp, as_of_date date, target string, status string,
            reason_key string, reason string, leads bigint, positives bigint, training_rows bigint,
            fit_dates string, calibration_dates string, validation_dates string, features string,
            parameters string, metrics string, versions string, seconds string, best_iteration int,
            calibration_slope double, calibration_intercept double, categories string, model_text string",
        'model_evaluation': "model_id string, scorer string, metric string, bin int, lead_dates bigint,
            outcomes bigint, predicted double, observed double, value double, lower double, upper double",
        'lead_predictions': "as_of_date date, lead_id string, model_id string, predicted_conversion double,
            predicted_factors string, predicted_factors_json string",
    } -%}
    {%- set statements = [] -%}
    {%- for table, table_columns in columns.items() -%}
        {%- do statements.append("drop table if exists predictions." ~ table) -%}
        {%- do statements.append("create table predictions." ~ table ~ " (" ~ table_columns ~ ") using parquet location '"
                                 ~ lake_location('predictions', table) ~ "'") -%}
    {%- endfor -%}
    {{ return(statements) }}
{% endmacro %}
