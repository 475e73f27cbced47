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

{#- The three tables' columns, once for both engines: DuckDB reads string as varchar, as Spark writes it. -#}
{% macro prediction_source_columns() %}
    {{ return({
        'models': "model_id string, trained_at timestamp, as_of_date date, target string, status string,
            reason_key string, reason string, leads bigint, positives bigint, training_rows bigint,
            fit_dates string, calibration_dates string, validation_dates string, features string,
            parameters string, metrics string, versions string, seconds string, best_iteration integer,
            calibration_slope double, calibration_intercept double, categories string, model_text string",
        'model_evaluation': "model_id string, scorer string, metric string, bin integer, lead_dates bigint,
            outcomes bigint, predicted double, observed double, value double, lower double, upper double",
        'lead_predictions': "as_of_date date, lead_id string, model_id string, predicted_conversion double,
            predicted_factors string, predicted_factors_json string",
    }) }}
{% endmacro %}

{#- On DuckDB, the warehouse's own tables, created when absent (a training is recorded once: model_id is the key). -#}
{% macro default__prediction_source_tables() %}
    {%- set statements = [] -%}
    {%- for table, columns in prediction_source_columns().items() -%}
        {%- set key = ", primary key (model_id)" if table == 'models' else "" -%}
        {%- do statements.append("create table if not exists predictions." ~ table ~ " (" ~ columns ~ key ~ ")") -%}
    {%- endfor -%}
    {{ return(statements) }}
{% endmacro %}

{#- On Spark the tables are the lake's Parquet folders predictions/<table>, which ingestion/lake.py exports from
    DuckDB's (the model trains and scores in Python, on DuckDB): declared again each run with their columns, so that
    with no folder yet they are empty, as on DuckDB before a training. Dropping such a table leaves its files. -#}
{% macro spark__prediction_source_tables() %}
    {%- set statements = [] -%}
    {%- for table, columns in prediction_source_columns().items() -%}
        {%- do statements.append("drop table if exists predictions." ~ table) -%}
        {%- do statements.append("create table predictions." ~ table ~ " (" ~ columns ~ ") using parquet location '"
                                 ~ lake_location('predictions', table) ~ "'") -%}
    {%- endfor -%}
    {{ return(statements) }}
{% endmacro %}
