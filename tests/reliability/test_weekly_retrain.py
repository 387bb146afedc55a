"""The weekly retrain-and-evaluate chain: one retrain run per algorithm, then one evaluation,
requested by the automation sensor once no retrain is still queued or running."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from execution_assets.defs.ops.retrain import (
    WEEK_TAG,
    after_retrain,
    automation,
    evaluate_job,
    retrain_job,
    weekly_retrain,
)

SATURDAY = dt.datetime(2026, 11, 21, 6, 0, tzinfo=ZoneInfo("America/New_York"))
ALGORITHMS = dg.StaticPartitionsDefinition(["dqn", "ppo", "sac"])


@dg.asset(key="trained_agent", partitions_def=ALGORITHMS, group_name="agents")
def agent() -> None: ...


@dg.asset(key="summary", deps=["trained_agent"], group_name="evaluation", automation_condition=after_retrain())
def summary() -> None: ...


@dg.asset(key="report", deps=["summary"], group_name="reports", automation_condition=after_retrain())
def report() -> None: ...


def _definitions(*assets: dg.AssetsDefinition) -> dg.Definitions:
    return dg.Definitions(
        assets=list(assets), jobs=[retrain_job, evaluate_job], schedules=[weekly_retrain], sensors=[automation]
    )


def test_evaluation_follows_the_last_of_the_weeks_retrain_runs():
    definitions = _definitions(agent, summary, report)
    repository = definitions.get_repository_def()
    with dg.instance_for_test() as instance:
        requests = weekly_retrain(dg.build_schedule_context(instance, SATURDAY, repository_def=repository))
        assert [r.partition_key for r in requests] == ["dqn", "ppo", "sac"]
        assert {r.tags[WEEK_TAG] for r in requests} == {"2026-W47"}

        job = repository.get_job("retrain_job")
        queued = {  # the schedule's runs, started together (training waits for its pool)
            r.partition_key: instance.create_run_for_job(
                job, tags={**r.tags, "dagster/partition": r.partition_key}, status=dg.DagsterRunStatus.STARTED
            )
            for r in requests
        }
        cursor = None

        def tick() -> set[str]:
            nonlocal cursor
            result = dg.evaluate_automation_conditions(defs=definitions, instance=instance, cursor=cursor)
            cursor = result.cursor
            return {key.to_user_string() for key in (dg.AssetKey("summary"), dg.AssetKey("report")) if result.get_num_requested(key)}

        assert tick() == set()
        answers = []
        for algorithm in ("dqn", "ppo", "sac"):
            job.execute_in_process(partition_key=algorithm, instance=instance)
            instance.report_run_canceled(queued[algorithm])  # the queued placeholder has run
            answers.append(tick())
        assert answers == [set(), set(), {"summary", "report"}]  # once, after the last, both in one tick
        assert tick() == set() and tick() == set()  # and only once


def test_a_failed_blocking_check_upstream_holds_the_evaluation_back():
    @dg.asset(
        key="impact_params",
        check_specs=[dg.AssetCheckSpec("no_silent_nan", asset="impact_params", blocking=True)],
    )
    def impact_params():
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(check_name="no_silent_nan", passed=False)

    @dg.asset(key="scenarios", deps=["impact_params"], group_name="scenarios", automation_condition=after_retrain())
    def scenarios() -> None: ...

    definitions = _definitions(agent, impact_params, scenarios)
    with dg.instance_for_test() as instance:
        dg.materialize([impact_params], instance=instance, raise_on_error=False)
        dg.materialize([agent], partition_key="dqn", instance=instance)
        result = dg.evaluate_automation_conditions(defs=definitions, instance=instance)
        assert result.get_num_requested(dg.AssetKey("scenarios")) == 0


def test_schedule_skips_while_there_is_no_agent():
    with dg.instance_for_test() as instance:
        repository = _definitions(summary.with_attributes(automation_condition=None)).get_repository_def()
        answer = weekly_retrain(dg.build_schedule_context(instance, SATURDAY, repository_def=repository))
    assert answer.skip_message == "no asset in group 'agents' yet"


def test_real_code_location_retrains_each_algorithm_and_evaluates_the_reports():
    from execution_assets.definitions import defs

    repository = defs().get_repository_def()
    retrain = repository.get_job("retrain_job")
    evaluate = dg.AssetSelection.groups("scenarios", "evaluation", "reports").resolve(repository.asset_graph)
    assert dg.AssetKey("trained_agent") in retrain.asset_layer.executable_asset_keys
    assert {dg.AssetKey("execution_scenarios"), dg.AssetKey("strategy_summary")} <= evaluate
    assert all(
        repository.asset_graph.get(key).automation_condition.get_label() == "after_retrain" for key in evaluate
    )
    assert repository.get_sensor_def("automation").default_status == dg.DefaultSensorStatus.RUNNING
    with dg.instance_for_test() as instance:
        requests = weekly_retrain(dg.build_schedule_context(instance, SATURDAY, repository_def=repository))
    assert [r.partition_key for r in requests] == retrain.partitions_def.get_partition_keys()
