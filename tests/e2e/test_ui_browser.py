"""The Dagster UI as a person sees it: headless Chromium on the webserver, bound to loopback.

Materializes one synthetic instrument-day and a report into a private data dir and Dagster home,
evaluates freshness once (what the daemon of `make ui` does every 30 s), starts
``dagster-webserver`` on the project's workspace (no host given: its default binding is what is
tested), opens the report's upstream asset graph, the report itself and impact_params' page
(column schema and freshness), asserts they render, and saves screenshots under
``<data dir>/artifacts/screenshots/``.
Needs Debian's chromium and chromium-driver (``make test`` installs them).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from execution_assets.defs.partitions import instrument_date_key, register_partitions
from execution_assets.paths import PROJECT_ROOT, artifacts_dir

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        f"{CHROMIUM} or {CHROMEDRIVER} missing: `make test` installs Debian's chromium and chromium-driver "
        "(apt-get, as root); without them the browser test cannot run",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium missing: pip install -e '.[test]'")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

DAY = ("SYNTH_ILQ", dt.date(2024, 1, 2))
REPORT = "execution_theory_report"  # cheap: needs calibration and the scenario grid, no training
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1600,1000",
]  # fmt: skip


def _materialize(instance: dg.DagsterInstance) -> tuple[str, str]:
    """Ingest one day and build the report; returns (asset shown, its markdown metadata key)."""
    from execution_assets.definitions import defs

    definitions = defs()
    assets, resources = list(definitions.assets), definitions.resources
    register_partitions(instance, [DAY])

    def run(selection, partition_key=None):
        result = dg.materialize(
            assets, selection=selection, partition_key=partition_key, instance=instance, resources=resources
        )
        assert result.success

    run(dg.AssetSelection.groups("ingest", "features"), instrument_date_key(*DAY))
    if dg.AssetKey(REPORT) not in definitions.resolve_asset_graph().get_all_asset_keys():
        return "book_features", "mid_and_spread"  # no report asset in this code location: the feature plot
    run(dg.AssetSelection.groups("calibration"), DAY[0])
    run(dg.AssetSelection.assets("execution_scenarios", REPORT))
    return REPORT, "report"


def _evaluate_freshness(instance: dg.DagsterInstance) -> None:
    """One iteration of the freshness daemon on the code location, in-process."""
    import asyncio

    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
    from dagster._daemon.freshness import FreshnessDaemon

    origin = InProcessCodeLocationOrigin(LoadableTargetOrigin(module_name="execution_assets.definitions"))
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as context:
        asyncio.run(FreshnessDaemon()._evaluate_assets(workspace_process_context=context))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of the sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.fixture
def ui(tmp_path, monkeypatch):
    """A webserver on a private home with one partition and a report; yields (url, asset, key)."""
    data, home = tmp_path / "data", tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("EXECUTION_DATA_DIR", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    asset, key = _materialize(dg.DagsterInstance.get())
    _evaluate_freshness(dg.DagsterInstance.get())

    port = _free_port()
    log = open(tmp_path / "webserver.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml", "-p", str(port)],
        cwd=PROJECT_ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log_text = (tmp_path / "webserver.log").read_text()[-3000:]
                    raise AssertionError(f"webserver did not come up: {log_text}")
                time.sleep(1)
        yield url, asset, key, port
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the webserver and its code server: one session
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def _open(driver, url: str, *texts: str) -> None:
    """Load ``url`` and wait until every text is on the page."""
    driver.get(url)
    WebDriverWait(driver, 120).until(lambda d: all(t in d.page_source for t in texts))
    time.sleep(1)  # let the graph layout settle


def _skip_first_visit_dialog(driver) -> None:
    """Answer "Skip" to the community dialog a fresh Dagster home shows once, a few seconds in
    (the webserver then remembers it); go on if it never comes."""
    skip = "//button[normalize-space()='Skip']"
    try:
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.XPATH, skip))[0].click()
    except TimeoutException:
        return
    WebDriverWait(driver, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".bp5-overlay-backdrop"))


@pytest.mark.slow  # webserver start-up and a browser: ~50 s
def test_asset_graph_and_report_render_in_chromium(ui, browser):
    url, asset, key, port = ui
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only: not 0.0.0.0, not ::
    shots = artifacts_dir() / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)

    upstream = ["raw_l2_snapshots", "raw_trades", "book_features"]
    _open(browser, f"{url}/assets/{asset}?view=lineage&lineageScope=upstream&lineageDepth=10", *upstream)
    _skip_first_visit_dialog(browser)
    browser.save_screenshot(str(shots / "asset_graph.png"))

    _open(browser, f"{url}/assets/{asset}", asset, "[Show Markdown]")
    browser.save_screenshot(str(shots / f"{asset}.png"))
    row = f"//tr[td[normalize-space()='{key}']]//*[text()='[Show Markdown]']"
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.XPATH, row))[0].click()
    plot = "//div[@role='dialog']//img[starts-with(@src, 'data:image/png;base64,')]"
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.XPATH, plot))
    time.sleep(1)
    browser.save_screenshot(str(shots / f"{asset}_{key}.png"))
    if asset == REPORT:
        heading = next(
            line[2:] for line in (artifacts_dir() / "reports" / "execution_theory.md").read_text().splitlines()
            if line.startswith("# ")
        )  # fmt: skip
        assert browser.find_elements(By.XPATH, f"//div[@role='dialog']//h1[normalize-space()='{heading}']")

    shown = ["asset_graph.png", f"{asset}.png", f"{asset}_{key}.png"]
    if asset == REPORT:  # calibration ran: impact_params' page shows its columns and its freshness
        columns = ["Columns", "eta_ci_low", "lower bound of the 95% confidence interval of eta", "Row count"]
        _open(browser, f"{url}/assets/impact_params", *columns, "Freshness policy", "Passing")
        browser.save_screenshot(str(shots / "impact_params_columns_freshness.png"))
        shown.append("impact_params_columns_freshness.png")
    for name in shown:
        png = (shots / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000, name
