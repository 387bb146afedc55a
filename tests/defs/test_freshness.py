"""Freshness as the UI shows it: the daemon's evaluation of each asset's FreshnessPolicy, under a
frozen clock, read back from the instance the webserver reads."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.test_utils import freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._daemon.freshness import FreshnessDaemon

NY = ZoneInfo("America/New_York")
IMPACT = dg.AssetKey("impact_params")
MONDAY_CALIBRATION = dt.datetime(2026, 11, 23, 17, 40, tzinfo=NY)  # daily_recalibration ran at 17:30
TUESDAY_EVENING = dt.datetime(2026, 11, 24, 20, 0, tzinfo=NY)  # past Tuesday's 19:30 deadline


@pytest.fixture
def workspace(data_dir):
    """The code location loaded in-process on a test instance, as the daemon sees it."""
    origin = InProcessCodeLocationOrigin(LoadableTargetOrigin(module_name="execution_assets.definitions"))
    with dg.instance_for_test() as instance:
        with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as context:
            yield instance, context


def freshness(instance: dg.DagsterInstance, context, key: dg.AssetKey) -> FreshnessState:
    """Run one iteration of the freshness daemon (what `make ui` runs every 30 s) and read the
    state it stored, which the asset page shows."""
    asyncio.run(FreshnessDaemon()._evaluate_assets(workspace_process_context=context))
    return instance.get_freshness_state_records([key])[key].freshness_state


def calibrate(instance: dg.DagsterInstance, when: dt.datetime) -> None:
    with freeze_time(when):
        instance.report_runless_asset_event(dg.AssetMaterialization(IMPACT, partition="SYNTH_LIQ"))


def test_policies_match_the_schedules():
    from execution_assets.definitions import defs

    graph = defs().resolve_asset_graph()
    daily = {k: graph.get(dg.AssetKey(k)).freshness_policy for k in ("adv", "volume_curve", "impact_params")}
    assert {p.deadline_cron for p in daily.values()} == {"30 19 * * 1-5"}  # 2 h after daily_recalibration
    assert {p.lower_bound_delta for p in daily.values()} == {dt.timedelta(hours=2)}
    weekly = graph.get(dg.AssetKey("trained_agent")).freshness_policy
    assert weekly.deadline_cron == "0 18 * * 6" and weekly.lower_bound_delta == dt.timedelta(hours=12)


def test_impact_params_is_stale_past_its_window_and_fresh_after_a_materialization(workspace):
    instance, context = workspace
    with freeze_time(MONDAY_CALIBRATION - dt.timedelta(minutes=5)):
        assert freshness(instance, context, IMPACT) == FreshnessState.UNKNOWN  # never materialized
    calibrate(instance, MONDAY_CALIBRATION)
    with freeze_time(MONDAY_CALIBRATION + dt.timedelta(hours=3)):
        assert freshness(instance, context, IMPACT) == FreshnessState.PASS
    with freeze_time(TUESDAY_EVENING - dt.timedelta(hours=1)):  # Tuesday 19:00: still Monday's window
        assert freshness(instance, context, IMPACT) == FreshnessState.PASS
    with freeze_time(TUESDAY_EVENING):  # Tuesday's recalibration never came
        assert freshness(instance, context, IMPACT) == FreshnessState.FAIL
    calibrate(instance, TUESDAY_EVENING + dt.timedelta(minutes=10))
    with freeze_time(TUESDAY_EVENING + dt.timedelta(minutes=11)):
        assert freshness(instance, context, IMPACT) == FreshnessState.PASS
    with freeze_time(dt.datetime(2026, 11, 28, 12, 0, tzinfo=NY)):  # Saturday: Friday's run never came
        assert freshness(instance, context, IMPACT) == FreshnessState.FAIL
    calibrate(instance, dt.datetime(2026, 11, 28, 12, 30, tzinfo=NY))  # recalibrated by hand
    with freeze_time(dt.datetime(2026, 11, 30, 19, 0, tzinfo=NY)):  # the weekend is no gap: fresh until Monday 19:30
        assert freshness(instance, context, IMPACT) == FreshnessState.PASS
