"""The evaluation assets end to end on a private warehouse: scenarios -> episodes -> summary."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest
from execution_assets.defs.resources import WarehouseResource

N_SCENARIOS, N_EPISODES = 6, 200


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    from execution_assets.defs.evaluation import reports
    from execution_assets.defs.evaluation.assets import benchmark_results, episode_results, robustness_results, strategy_summary
    from execution_assets.defs.scenarios.assets import execution_scenarios

    report_assets = [v for v in vars(reports).values() if isinstance(v, dg.AssetsDefinition)]

    data = tmp_path_factory.mktemp("eval") / "data"
    data.mkdir()
    mp = pytest.MonkeyPatch()
    mp.setenv("EXECUTION_DATA_DIR", str(data))
    # linear and transient impact: the oracle's exact solvers (its DP is tested with the strategies)
    models = ["linear", "transient"]
    config = {"n_episodes": N_EPISODES, "max_scenarios": N_SCENARIOS, "impact_models": models}
    result = dg.materialize(
        [execution_scenarios, benchmark_results, episode_results, strategy_summary, robustness_results, *report_assets],
        resources={"duckdb": WarehouseResource(database=str(data / "warehouse.duckdb"))},
        instance=dg.DagsterInstance.ephemeral(),
        run_config={
            "ops": {
                "benchmark_results": {"config": config},
                "episode_results": {"config": {"include_agents": False}},
                "robustness_results": {"config": {"n_episodes": 100, "include_agents": False, "impact_models": models}},
            }
        },
    )
    yield result, data
    mp.undo()


def _sql(data, text):
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(text).fetchall()


def test_every_strategy_runs_every_scenario_on_the_same_episodes(evaluated):
    result, data = evaluated
    assert result.success
    strategies = {s for (s,) in _sql(data, "SELECT DISTINCT strategy FROM evaluation.episode_results")}
    assert {"twap", "vwap", "pov", "almgren_chriss", "obizhaeva_wang", "oracle"} <= strategies
    counts = _sql(data, "SELECT scenario_id, strategy, count(*) FROM evaluation.episode_results GROUP BY ALL")
    assert {n for *_, n in counts} == {N_EPISODES}
    assert len({s for s, *_ in counts}) == N_SCENARIOS
    # the scenarios are test-split rows
    splits = _sql(
        data,
        "SELECT DISTINCT split FROM evaluation.episode_results JOIN scenarios.execution_scenarios USING (scenario_id)",
    )
    assert splits == [("test",)]


def test_without_agents_the_episodes_are_the_benchmarks_rows(evaluated):
    _, data = evaluated
    counts = _sql(data, "SELECT (SELECT count(*) FROM evaluation.benchmark_results), (SELECT count(*) FROM evaluation.episode_results)")
    assert counts[0][0] == counts[0][1] > 0
    differ = _sql(
        data,
        "SELECT count(*) FROM (SELECT * FROM evaluation.benchmark_results EXCEPT SELECT * FROM evaluation.episode_results)",
    )
    assert differ == [(0,)]


def test_summary_rows_checks_and_leaderboard(evaluated):
    result, data = evaluated
    n_pairs = _sql(data, "SELECT count(*) FROM (SELECT DISTINCT scenario_id, strategy FROM evaluation.episode_results)")[0][0]
    assert _sql(data, "SELECT count(*) FROM evaluation.strategy_summary")[0][0] == n_pairs
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    for key in [
        ("episode_results", "order_always_completes"),
        ("episode_results", "paired"),
        ("strategy_summary", "covers_every_pair"),
        ("strategy_summary", "twap_identity"),
        ("strategy_summary", "nothing_beats_the_oracle"),
    ]:
        assert checks[key].passed, key
    twap = _sql(data, "SELECT max(abs(improvement_vs_twap_bps)), min(p_value) FROM evaluation.strategy_summary WHERE strategy = 'twap'")
    assert twap == [(0.0, 1.0)]
    oracle = _sql(data, "SELECT min(oracle_efficiency), max(oracle_efficiency) FROM evaluation.strategy_summary WHERE strategy = 'oracle'")[0]
    assert oracle[0] is None or oracle == pytest.approx((1.0, 1.0))
    board = _sql(data, "SELECT strategy, scenarios, rank FROM evaluation.leaderboard ORDER BY rank")
    assert {s for s, *_ in board} >= {"twap", "oracle"}
    scenarios = {s: n for s, n, _ in board}
    assert scenarios["twap"] == N_SCENARIOS and max(scenarios.values()) == N_SCENARIOS


def test_robustness_rows_cover_every_stress_test(evaluated):
    _, data = evaluated
    tests = dict(_sql(data, "SELECT test, count(DISTINCT base_scenario_id) FROM evaluation.robustness GROUP BY ALL"))
    assert tests == {"nominal": 4, "vol_stress": 4, "impact_miscalibration": 4}  # no recorded days: no replay
    variants = {v for (v,) in _sql(data, "SELECT DISTINCT variant FROM evaluation.robustness")}
    assert variants == {"as planned", "sigma x2.5", "sigma x4", "impact x0.5", "impact x1.5"}


def test_every_report_is_written_as_markdown_and_self_contained_html(evaluated):
    result, data = evaluated
    folder = data / "artifacts" / "reports"
    names = {
        "execution_theory", "impact_models", "baselines", "environment", "reward_design",
        "dqn", "ppo", "curriculum", "evaluation", "robustness",
    }  # fmt: skip
    assert {p.stem for p in folder.glob("*.md")} == names
    assert {p.stem for p in folder.glob("*.html")} == names
    for name in names - {"dqn", "ppo", "curriculum"}:  # agent reports have no plots without a trained agent
        text = (folder / f"{name}.html").read_text()
        assert '<img src="data:image/png;base64,' in text, name
        assert 'src="http' not in text and "<link" not in text and "<script" not in text, name  # self-contained
    assert "No trained DQN agent" in (folder / "dqn.md").read_text()
    evaluation = (folder / "evaluation.md").read_text()
    assert "| family | scenarios | TWAP IS (bps) |" in evaluation and "Oracle (clairvoyant)" in evaluation
    metadata = {m.asset_key.path[-1]: m.materialization.metadata for m in result.get_asset_materialization_events()}
    assert metadata["evaluation_report"]["plots"].value >= 2
    assert metadata["evaluation_report"]["report"].value.startswith("# Evaluation")


def test_headline_command_prints_both_tables(evaluated, capsys):
    from execution_assets.evaluation.headline import main

    _, data = evaluated
    main(["--warehouse", str(data / "warehouse.duckdb")])
    out = capsys.readouterr().out
    assert out.count("| family | scenarios |") == 2
    assert "**all scenarios**" in out and "Oracle (clairvoyant)" in out
    assert out.count("| **all scenarios** | 6 |") == 2


def test_headline_command_writes_the_readme_section(evaluated, tmp_path, capsys):
    from execution_assets.evaluation.headline import README_END, README_START, main

    _, data = evaluated
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n## Headline\n{README_START}\nstale table\n{README_END}\n\n## Next\nkept\n")
    main(["--warehouse", str(data / "warehouse.duckdb"), "--readme", str(readme)])
    printed = capsys.readouterr().out
    text = readme.read_text()
    assert "stale table" not in text and text.startswith("# title") and text.endswith("## Next\nkept\n")
    section = text[text.index(README_START) + len(README_START) : text.index(README_END)]
    assert section.strip() == printed.split("\nwrote the headline")[0].strip()
    assert "| **all scenarios** | 6 |" in section
    main(["--warehouse", str(data / "warehouse.duckdb"), "--readme", str(readme)])
    assert readme.read_text() == text  # idempotent


def test_headline_refuses_a_readme_without_markers(evaluated, tmp_path):
    from execution_assets.evaluation.headline import main

    _, data = evaluated
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    with pytest.raises(ValueError, match="no headline section"):
        main(["--warehouse", str(data / "warehouse.duckdb"), "--readme", str(readme)])
    assert readme.read_text() == "# no markers\n"


def test_the_readme_example_queries_run(evaluated):
    """Every statement of the README's ```sql block runs on an evaluated warehouse (the
    calibration view is empty there: no market data was calibrated)."""
    import re

    from execution_assets.paths import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.sub(r"--[^\n]*", "", readme.split("```sql\n", 1)[1].split("```", 1)[0])
    statements = [s.strip() for s in block.split(";") if s.strip()]
    assert len(statements) >= 3
    _, data = evaluated
    for statement in statements:
        rows = _sql(data, statement)
        assert rows or "evaluation." not in statement, statement
