"""crowdrank daily DAG for Apache Airflow: one SparkSubmitOperator per batch step.

Each task runs the same spark-submit jar and main class with one step; `{{ ds }}` is the delivery
date being processed. Steps are idempotent (a re-run commits nothing new), so Airflow retries and
backfills (`airflow dags backfill -s 2026-10-01 -e 2026-10-31 crowdrank_daily`) are safe, in any
order. Requires apache-airflow-providers-apache-spark and a `spark_default` connection pointing
at the cluster (YARN, Kubernetes or standalone).
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JAR = "/opt/crowdrank/crowdrank-batch-jobs-spark-submit.jar"
RAW = "s3a://exports/crowdrank"
WAREHOUSE = "s3a://lake/crowdrank"
TARGETING = "/opt/crowdrank/targeting.json"
CONF = {
    "spark.hadoop.fs.s3a.aws.credentials.provider": "com.amazonaws.auth.DefaultAWSCredentialsProviderChain",
    "spark.sql.shuffle.partitions": "400",
    "spark.dynamicAllocation.enabled": "true",
}


def step(name, *extra):
    return SparkSubmitOperator(
        task_id=name,
        application=JAR,
        java_class="io.crowdrank.batch.cli.Main",
        conf=CONF,
        packages="org.apache.hadoop:hadoop-aws:3.4.2",
        env_vars={"CROWDRANK_ID_SALT": "{{ var.value.crowdrank_id_salt }}"},
        application_args=["jobs", name, "--warehouse", WAREHOUSE, *extra],
        retries=2,
        retry_delay=timedelta(minutes=10),
    )


with DAG(
    dag_id="crowdrank_daily",
    start_date=datetime(2026, 10, 1),
    schedule="30 2 * * *",
    catchup=True,
    max_active_runs=1,
    default_args={"owner": "data-platform"},
) as daily:
    # The order of Pipeline.DAG (`jobs all`); publish is gated on evaluate's comparison with the
    # served bundle, and segments stores the targeting file before evaluating it.
    events = step("events")
    experiments = step("experiments")
    ingest = step("ingest", "--raw", RAW, "--date", "{{ ds }}")
    identity = step("identity")
    profiles = step("profiles")
    segments = step("segments", "--targeting", TARGETING)
    train = step("train")
    reports = step("reports")
    evaluate = step("evaluate")
    publish = step("publish")
    events >> experiments >> ingest >> identity >> profiles >> segments >> train >> reports >> evaluate >> publish

with DAG(
    dag_id="crowdrank_maintenance",
    start_date=datetime(2026, 10, 1),
    schedule="0 4 * * 0",
    catchup=False,
) as weekly:
    step("maintain", "--retention-hours", "168")
