"""Weekly retrain-and-evaluate: retrain every agent, then evaluate once all of them are trained.

Two jobs chained by a sensor rather than one job: training is partitioned by algorithm, so one
run per algorithm, and the evaluation (unpartitioned) must run once, after the last of them,
on a scenario grid rebuilt from the latest calibration. Both jobs select by asset group, so
they pick up whatever the groups hold; an absent group selects nothing, and the schedule and
sensor then skip with a reason.
"""

from __future__ import annotations

import dagster as dg

RETRAIN = dg.AssetSelection.groups("agents")
EVALUATE = dg.AssetSelection.groups("scenarios", "evaluation", "reports")
WEEK_TAG = "execution_assets/retrain_week"
RUNS_TAG = "execution_assets/retrain_runs"

retrain_job = dg.define_asset_job(
    "retrain_job",
    selection=RETRAIN,
    description="Retrain the RL agents (asset group 'agents'), one run per partition (algorithm).",
)
evaluate_job = dg.define_asset_job(
    "evaluate_job",
    selection=EVALUATE,
    description=(
        "Rebuild the scenario grid, evaluate every strategy and the newest agents, render the reports "
        "(asset groups 'scenarios', 'evaluation', 'reports')."
    ),
)


def _selected(selection: dg.AssetSelection, repository: dg.RepositoryDefinition) -> set[dg.AssetKey]:
    return set(selection.resolve(repository.asset_graph))


@dg.schedule(
    job=retrain_job,
    cron_schedule="0 6 * * 6",
    execution_timezone="America/New_York",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def weekly_retrain(context: dg.ScheduleEvaluationContext):
    """Saturday 06:00 New York time: one retrain run per partition, all tagged with the ISO week
    so that evaluate_after_retrain knows when the week's training is complete. The run keys
    make a second evaluation of the same week a no-op."""
    if not _selected(RETRAIN, context.repository_def):
        return dg.SkipReason("no asset in group 'agents' yet")
    year, week, _ = context.scheduled_execution_time.isocalendar()
    label = f"{year}-W{week:02d}"
    partitions = context.repository_def.get_job(retrain_job.name).partitions_def
    keys = partitions.get_partition_keys(dynamic_partitions_store=context.instance) if partitions else [None]
    tags = {WEEK_TAG: label, RUNS_TAG: str(len(keys))}
    return [dg.RunRequest(run_key=f"{label}|{key or 'all'}", partition_key=key, tags=tags) for key in keys]


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[retrain_job],
    request_job=evaluate_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def evaluate_after_retrain(context: dg.RunStatusSensorContext):
    """When every retrain run of a week has succeeded, request that week's evaluation (once)."""
    week = context.dagster_run.tags.get(WEEK_TAG)
    if week is None:
        return dg.SkipReason("a retrain run started by hand, not by weekly_retrain: nothing to chain")
    if context.repository_def is not None and not _selected(EVALUATE, context.repository_def):
        return dg.SkipReason("no asset in group 'evaluation' yet")
    expected = int(context.dagster_run.tags[RUNS_TAG])
    succeeded = context.instance.get_runs(
        filters=dg.RunsFilter(
            job_name=retrain_job.name, tags={WEEK_TAG: week}, statuses=[dg.DagsterRunStatus.SUCCESS]
        )
    )
    done = len({run.tags.get("dagster/partition") for run in succeeded})
    if done < expected:
        return dg.SkipReason(f"{done} of {expected} retrain runs of {week} succeeded so far")
    return dg.RunRequest(run_key=f"evaluate|{week}", tags={WEEK_TAG: week})
