"""Weekly retrain-and-evaluate: retrain every agent, then evaluate once all of them are trained.

The retrain is a schedule (one run per algorithm partition, Saturday morning). The evaluation
that follows is declarative: every asset of the groups 'scenarios', 'evaluation' and 'reports'
carries ``after_retrain()``, and the ``automation`` sensor (on by default) requests them together,
as one run, on the first tick after a trained_agent materialization with no retrain still in
progress and no failed blocking check upstream. ``evaluate_job`` launches the same by hand.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from execution_assets.defs.contracts import upstream_checks_clear

AC = dg.AutomationCondition
AGENT = dg.AssetKey("trained_agent")
RETRAIN = dg.AssetSelection.groups("agents")
EVALUATE = dg.AssetSelection.groups("scenarios", "evaluation", "reports")
WEEK_TAG = "execution_assets/retrain_week"
RETRAIN_CRON = "0 6 * * 6"
TIMEZONE = "America/New_York"

# Fresh when retrained since Saturday 06:00 New York; stale from Saturday 18:00 (twelve hours for
# the week's training) until the next retrain.
WEEKLY_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 18 * * 6", lower_bound_delta=dt.timedelta(hours=12), timezone=TIMEZONE
)


def after_retrain() -> dg.AutomationCondition:
    """True once after trained_agent was materialized (any algorithm), as soon as no partition of
    it is still queued or running, nothing upstream of the asset is running, and no dependency has
    a failed blocking check. Every asset of the evaluation carries it, so one tick requests them
    all, in one run, in dependency order."""
    retrained = AC.asset_matches(AGENT, AC.newly_updated()).since_last_handled().with_label("trained_agent updated")
    retraining = AC.asset_matches(AGENT, AC.in_progress()).with_label("trained_agent in progress")
    return (
        retrained & ~retraining & ~AC.any_deps_in_progress() & ~AC.in_progress() & upstream_checks_clear()
    ).with_label("after_retrain")


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
    cron_schedule=RETRAIN_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def weekly_retrain(context: dg.ScheduleEvaluationContext):
    """Saturday 06:00 New York time: one retrain run per partition, tagged with the ISO week. The
    run keys make a second tick of the same week a no-op; the evaluation follows by itself
    (``after_retrain``) once the last of them is done."""
    if not _selected(RETRAIN, context.repository_def):
        return dg.SkipReason("no asset in group 'agents' yet")
    year, week, _ = context.scheduled_execution_time.isocalendar()
    label = f"{year}-W{week:02d}"
    partitions = context.repository_def.get_job(retrain_job.name).partitions_def
    keys = partitions.get_partition_keys(dynamic_partitions_store=context.instance) if partitions else [None]
    tags = {WEEK_TAG: label}
    return [dg.RunRequest(run_key=f"{label}|{key or 'all'}", partition_key=key, tags=tags) for key in keys]


automation = dg.AutomationConditionSensorDefinition(
    "automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        "Evaluates the assets' automation conditions every 30 s: the evaluation after a retrain "
        "(after_retrain). On by default, so `make ui` needs no switch."
    ),
)
