#!/usr/bin/env bash
# Starts the Java kernel (rapaio-jupyter-kernel) with the project's classes and Spark on its
# classpath and Spark's JVM flags. Jupyter finds this kernel through JUPYTER_PATH=<repo>/notebooks/jupyter
# (./crowdrank notebooks sets it). Build first: ./crowdrank build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
BATCH="$ROOT/batch-jobs/target"
KERNEL_JAR="$ROOT/notebooks/target/kernel/rapaio-jupyter-kernel.jar"
for f in "$BATCH/crowdrank-batch-jobs.jar" "$BATCH/spark-jvm.args" "$KERNEL_JAR" "$ROOT/notebooks/target/classes"; do
  [[ -e "$f" ]] || { echo "crowdrank kernel: $f is missing; run ./crowdrank build" >&2; exit 1; }
done
# The kernel's classpath: ';'-separated entries, globs allowed.
export RJK_CLASSPATH="$ROOT/notebooks/target/classes;$BATCH/crowdrank-batch-jobs.jar;$BATCH/lib/*.jar"
export SPARK_LOCAL_IP=127.0.0.1
exec java @"$BATCH/spark-jvm.args" -Xmx"${CROWDRANK_NOTEBOOK_MEMORY:-3g}" \
  -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$ROOT/notebooks/jupyter/log4j2.properties" \
  -jar "$KERNEL_JAR" "$1"
