"""Calibration job and the daily recalibration schedule (every instrument, after the close)."""

import dagster as dg

from execution_assets.defs.partitions import instrument_partitions

CALIBRATION_ASSETS = ("daily_volume", "adv", "volume_curve", "impact_params")

calibration_job = dg.define_asset_job(
    "calibration_job",
    selection=dg.AssetSelection.assets(*CALIBRATION_ASSETS),
    partitions_def=instrument_partitions,
    description="Recalibrate one instrument: daily volume, ADV, volume curve, impact parameters.",
)


@dg.schedule(
    job=calibration_job,
    cron_schedule="30 17 * * 1-5",
    execution_timezone="America/New_York",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_recalibration(context: dg.ScheduleEvaluationContext):
    """At 17:30 New York time on weekdays, one calibration run per known instrument; the run
    key makes a second evaluation of the same day a no-op."""
    instruments = context.instance.get_dynamic_partitions(instrument_partitions.name)
    if not instruments:
        return dg.SkipReason("no instrument ingested yet")
    day = context.scheduled_execution_time.date().isoformat()
    return [
        dg.RunRequest(run_key=f"{instrument}|{day}", partition_key=instrument) for instrument in sorted(instruments)
    ]
