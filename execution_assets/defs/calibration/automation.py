"""Calibration job, the daily recalibration schedule (every instrument, after the close) and the
freshness the calibration promises."""

import datetime as dt

import dagster as dg

from execution_assets.defs.contracts import failed_blocking_checks
from execution_assets.defs.partitions import instrument_partitions, parse_instrument_date_key

CALIBRATION_ASSETS = ("daily_volume", "adv", "volume_curve", "impact_params", "signal_params")
UPSTREAM = ("raw_l2_snapshots", "raw_trades", "book_features")  # what a calibration reads, per instrument-day
RECALIBRATION_CRON = "30 17 * * 1-5"
TIMEZONE = "America/New_York"

# Fresh when recalibrated since the last weekday's 17:30 run: stale from 19:30 (two hours for the
# runs) on a weekday the schedule did not calibrate, until the next calibration.
DAILY_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="30 19 * * 1-5", lower_bound_delta=dt.timedelta(hours=2), timezone=TIMEZONE
)

calibration_job = dg.define_asset_job(
    "calibration_job",
    selection=dg.AssetSelection.assets(*CALIBRATION_ASSETS),
    partitions_def=instrument_partitions,
    description="Recalibrate one instrument: daily volume, ADV, volume curve, impact parameters, signal.",
)


def blocked_days(instance: dg.DagsterInstance, repository: dg.RepositoryDefinition | None) -> dict[str, list[str]]:
    """Instrument -> 'date: asset check' of each stored day whose latest blocking ingest or
    feature check failed; a calibration reads every day of its instrument, so it waits for them."""
    if repository is None:
        from execution_assets.definitions import defs

        repository = defs().get_repository_def()
    graph = repository.asset_graph
    specs = [
        spec
        for key in UPSTREAM
        if graph.has(dg.AssetKey(key))
        for spec in graph.get(dg.AssetKey(key)).assets_def.check_specs
        if spec.asset_key == dg.AssetKey(key)
    ]
    blocked: dict[str, list[str]] = {}
    for check_key, partition in failed_blocking_checks(instance, specs):
        if partition is None:
            continue
        instrument, date = parse_instrument_date_key(partition)
        blocked.setdefault(instrument, []).append(f"{date}: {check_key.to_user_string()}")
    return blocked


@dg.schedule(
    job=calibration_job,
    cron_schedule=RECALIBRATION_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_recalibration(context: dg.ScheduleEvaluationContext):
    """At 17:30 New York time on weekdays, one calibration run per known instrument whose stored
    days all passed their blocking checks; the run key makes a second evaluation of the same
    day a no-op. An instrument with a failed day is skipped (logged) until that day is fixed."""
    instruments = context.instance.get_dynamic_partitions(instrument_partitions.name)
    if not instruments:
        return dg.SkipReason("no instrument ingested yet")
    blocked = blocked_days(context.instance, context.repository_def)
    for instrument, failures in sorted(blocked.items()):
        context.log.warning(f"{instrument} not recalibrated: failed blocking checks on {'; '.join(failures)}")
    ready = sorted(set(instruments) - set(blocked))
    if not ready:
        return dg.SkipReason(
            "every instrument has a day with a failed blocking check: "
            + "; ".join(f"{i} ({', '.join(f)})" for i, f in sorted(blocked.items()))
        )
    day = context.scheduled_execution_time.date().isoformat()
    return [dg.RunRequest(run_key=f"{instrument}|{day}", partition_key=instrument) for instrument in ready]
