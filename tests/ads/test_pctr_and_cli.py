"""pCTR: the LightGBM model trained from a simulated log beats the prior; training from the real log;
the `pinhaven ads` commands."""

from __future__ import annotations

import random

from typer.testing import CliRunner

from pinhaven.ads import pctr
from pinhaven.ads.training import model_path, refresh_model, train_from_log
from pinhaven.cli import app as cli_app
from pinhaven.context import AppContext


def simulated_log(n: int, seed: int = 3) -> list[tuple[str, str, int, float, str]]:
    """Impressions of 40 ads whose true CTR depends on the ad and strongly on relevance."""
    rng = random.Random(seed)
    base = {ad: rng.uniform(0.005, 0.03) for ad in range(40)}
    rows: list[tuple[str, str, int, float, str]] = []
    for i in range(n):
        ad = rng.randrange(40)
        relevance = rng.random()
        surface = rng.choice(pctr.SURFACES)
        rows.append(("impression", f"i:{i}:0", ad, relevance, surface))
        if rng.random() < base[ad] * (0.2 + 4 * relevance**2):
            rows.append(("click", f"c:{i}:0", ad, 0.0, surface))
    return rows


def test_model_beats_the_prior_on_a_simulated_log() -> None:
    x, y = pctr.log_examples(simulated_log(20_000))
    assert len(x) == 20_000 and 200 < sum(y) < 2_000
    model = pctr.train(x, y, seed=1)
    assert model is not None and model.auc_model > model.auc_prior + 0.05


def test_too_little_data_keeps_the_prior(ctx: AppContext) -> None:
    with ctx.read_sessions() as db:
        result = train_from_log(ctx, db)
    assert not result.saved and "not enough data" in result.reason
    refresh_model(ctx)
    assert not model_path(ctx).exists() and "ads.pctr_model" not in ctx.services


def test_cli_report_refuses_bad_input(ctx: AppContext) -> None:
    runner = CliRunner()
    env = {
        "PINHAVEN_DATA_DIR": str(ctx.settings.data_dir),
        "PINHAVEN_DATABASE_URL": ctx.settings.resolved_database_url,
    }
    missing = runner.invoke(cli_app, ["ads", "report", "123", "2026-01-01", "2026-01-02"], env=env)
    assert missing.exit_code == 1 and "No such ad account" in missing.output
    trained = runner.invoke(cli_app, ["ads", "train-pctr"], env=env)
    assert trained.exit_code == 0 and "not enough data" in trained.output
