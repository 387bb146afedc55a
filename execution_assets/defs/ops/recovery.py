"""Recovery from runs whose process died (SIGKILL, out of memory, a reboot).

Such a run stays STARTED forever and keeps its "duckdb" pool slot, so every later DuckDB step
of the instance waits behind it ("Step blocked by limit for pool duckdb"). Dagster's own run
monitoring cannot see it on a local instance: the default run launcher has no worker health
check, and runs of the CLI (``execute_in_process``) have no launcher at all. The sensor below
fails such runs and frees their slots. It acts only on a local instance (default run launcher,
SQLite storage), where every run's process lives on this machine; on Kubernetes or Celery with
Postgres, run monitoring does it.
"""

from __future__ import annotations

import os

import dagster as dg
from dagster._core.storage.runs import SqliteRunStorage


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _run_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The process that started the run (the pid of its RUN_START event)."""
    starts = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_START)
    return starts[0].dagster_event.pid if starts and starts[0].dagster_event else None


def sweep_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail every STARTED run whose process is gone and free its pool slots; returns their ids."""
    swept = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        run = record.dagster_run
        pid = _run_pid(instance, run.run_id)
        if pid is None or _alive(pid):
            continue
        instance.report_run_failed(run, f"the run's process (pid {pid}) is gone: killed or crashed mid-run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        swept.append(run.run_id)
    return swept


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def dead_run_sweeper(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Every minute: fail runs whose local process died and free their pool slots."""
    instance = context.instance
    local = isinstance(instance.run_launcher, dg.DefaultRunLauncher) and isinstance(instance.run_storage, SqliteRunStorage)
    if not local:
        return dg.SkipReason("not a local instance: run monitoring of the run launcher handles dead runs")
    swept = sweep_dead_runs(instance)
    return dg.SkipReason(f"failed dead run(s) {', '.join(swept)}" if swept else "no dead run")
