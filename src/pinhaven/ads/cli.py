"""`pinhaven ads train-pctr` (the pCTR model from the ad log) and `pinhaven ads report` (CSV to stdout)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["ads_app"]

ads_app = typer.Typer(help="Promoted pins: pCTR model training and reports.", no_args_is_help=True)
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]


def _context(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from pinhaven.cli import settings_for
    from pinhaven.context import build_context

    return build_context(settings_for(data_dir))


@ads_app.command("train-pctr")
def train_pctr(data_dir: DataDir = None, seed: int = 0) -> None:
    """Train the LightGBM pCTR model from the impression/click log; saved only if it beats the prior."""
    from pinhaven.ads.training import train_from_log

    ctx = _context(data_dir)
    try:
        with ctx.read_sessions() as db:
            result = train_from_log(ctx, db, seed=seed)
    finally:
        ctx.engine.dispose()
    typer.echo(f"{result.impressions} impressions, {result.clicks} clicks: {result.reason}")
    if result.saved:
        typer.echo(f"held-out AUC: model {result.auc_model:.4f}, prior {result.auc_prior:.4f}")


@ads_app.command("report")
def report(
    ad_account_id: str,
    start_date: str,
    end_date: str,
    level: Annotated[str, typer.Option(help="AD_ACCOUNT, CAMPAIGN, AD_GROUP or AD")] = "CAMPAIGN",
    granularity: Annotated[str, typer.Option(help="DAY or TOTAL")] = "DAY",
    columns: str = "SPEND_IN_MICRO_DOLLAR,IMPRESSION_1,CLICKTHROUGH_1,CTR,CPC_IN_MICRO_DOLLAR,TOTAL_CONVERSIONS",
    data_dir: DataDir = None,
) -> None:
    """An ad account's report as CSV on stdout (the operator's view: any account)."""
    from pinhaven.ads import reports
    from pinhaven.ads.models import AdAccount
    from pinhaven.db.ids import parse_id
    from pinhaven.errors import InvalidInput

    ctx = _context(data_dir)
    try:
        with ctx.read_sessions() as db:
            account = db.get(AdAccount, parse_id(ad_account_id)) if parse_id(ad_account_id) else None
            if account is None:
                typer.echo("No such ad account.", err=True)
                raise typer.Exit(1)
            try:
                request = reports.parse_request(level=level.upper(), start_date=start_date, end_date=end_date,
                                                columns=columns, granularity=granularity.upper())  # fmt: skip
            except InvalidInput as exc:
                typer.echo(f"Invalid report: {exc.message}", err=True)
                raise typer.Exit(2) from None
            typer.echo(reports.to_csv(reports.rows(db, account=account, request=request), request), nl=False)
    finally:
        ctx.engine.dispose()
