"""The weekly retrain-and-evaluate chain: one retrain run per algorithm, then one evaluation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from execution_assets.defs.ops.retrain import (
    RUNS_TAG,
    WEEK_TAG,
    evaluate_after_retrain,
    evaluate_job,
    retrain_job,
    weekly_retrain,
)

SATURDAY = dt.datetime(2026, 11, 21, 6, 0, tzinfo=ZoneInfo("America/New_York"))
ALGORITHMS = dg.StaticPartitionsDefinition(["dqn", "ppo", "sac"])


@dg.asset(key="agent", partitions_def=ALGORITHMS, group_name="agents")
def agent() -> None: ...


@dg.asset(key="summary", deps=["agent"], group_name="evaluation")
def summary() -> None: ...


def _repository(*assets: dg.AssetsDefinition) -> dg.RepositoryDefinition:
    jobs, sensors = [retrain_job, evaluate_job], [evaluate_after_retrain]
    return dg.Definitions(assets=list(assets), jobs=jobs, schedules=[weekly_retrain], sensors=sensors).get_repository_def()


def test_evaluation_follows_the_last_of_the_weeks_retrain_runs():
    repository = _repository(agent, summary)
    with dg.instance_for_test() as instance:
        requests = weekly_retrain(dg.build_schedule_context(instance, SATURDAY, repository_def=repository))
        assert [r.partition_key for r in requests] == ["dqn", "ppo", "sac"]
        assert {r.tags[WEEK_TAG] for r in requests} == {"2026-W47"} and requests[0].tags[RUNS_TAG] == "3"

        job = repository.get_job("retrain_job")
        answers = []
        for request in requests:
            result = job.execute_in_process(partition_key=request.partition_key, instance=instance, tags=request.tags)
            context = dg.build_run_status_sensor_context(
                "evaluate_after_retrain", result.get_run_success_event(), instance, result.dagster_run,
                repository_def=repository,
            )  # fmt: skip
            answers.append(evaluate_after_retrain(context))
    assert [a.skip_message for a in answers[:2]] == [
        "1 of 3 retrain runs of 2026-W47 succeeded so far",
        "2 of 3 retrain runs of 2026-W47 succeeded so far",
    ]
    assert isinstance(answers[2], dg.RunRequest) and answers[2].run_key == "evaluate|2026-W47"


def test_schedule_skips_while_there_is_no_agent():
    with dg.instance_for_test() as instance:
        answer = weekly_retrain(dg.build_schedule_context(instance, SATURDAY, repository_def=_repository(summary)))
    assert answer.skip_message == "no asset in group 'agents' yet"


def test_real_code_location_retrains_each_algorithm_and_evaluates_the_reports():
    from execution_assets.definitions import defs

    repository = defs().get_repository_def()
    retrain = repository.get_job("retrain_job")
    evaluate = dg.AssetSelection.groups("scenarios", "evaluation", "reports").resolve(repository.asset_graph)
    assert dg.AssetKey("trained_agent") in retrain.asset_layer.executable_asset_keys
    assert {dg.AssetKey("execution_scenarios"), dg.AssetKey("strategy_summary")} <= evaluate
    with dg.instance_for_test() as instance:
        requests = weekly_retrain(dg.build_schedule_context(instance, SATURDAY, repository_def=repository))
    assert [r.partition_key for r in requests] == retrain.partitions_def.get_partition_keys()
