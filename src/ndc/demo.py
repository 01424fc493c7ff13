"""``ndc demo``: the main job on the embedded default, from nothing to a checked database."""

from __future__ import annotations

import typer
from rich.console import Console

from ndc.console import make_console
from ndc.settings import Settings, get_settings


def run_demo(settings: Settings, console: Console) -> None:
    """Generate the synthetic nation, run the whole integration chain, reconcile the agencies' data
    with the registers, prove entries of the transparency log; print what happened."""
    from ndc.exchange.demo import run_exchange_demo
    from ndc.ledger.demo import demo_ledger
    from ndc.link.reconcile import reconcile
    from ndc.link.reconcile_cli import print_summary as print_reconciliation
    from ndc.pipeline.cli import chain_with_progress, print_chain, print_reports, report_quality
    from ndc.synth import SynthConfig
    from ndc.synth.cli import generate_with_progress, print_summary

    data_dir = settings.ensure_data_dir()
    console.rule("[bold]1. Synthetic national data (dữ liệu tổng hợp)")
    config = SynthConfig(
        citizens=settings.demo_citizens, seed=settings.seed, out=data_dir / "synth"
    )
    print_summary(generate_with_progress(config, console), console)
    console.rule("[bold]2. Integration chain (ingest, chuẩn hóa, kiểm tra, liên kết, bản ghi gốc)")
    chain = chain_with_progress(settings, console)
    print_reports(chain.runs, console)
    report_quality(settings, chain.runs, console)
    print_chain(chain, console)
    if chain.parcels is not None:
        p = chain.parcels
        console.print(f"land parcels published by owner: {p.parcels:,} ({p.owned:,} owners linked)")
    if chain.ok:
        console.rule(
            "[bold]3. Reconciliation (đối soát) with the population and business registers"
        )
        results = reconcile(data_dir)
        print_reconciliation(results, console)
        console.print(f"reports: {data_dir / 'reports' / 'reconciliation'}")
    console.rule("[bold]4. Transparency log (sổ cái minh bạch)")
    ledger = demo_ledger(settings)
    console.print(
        f"log '{ledger['origin']}': {ledger['size']:,} entries, checkpoint signed; "
        f"inclusion proof verified: {ledger['inclusion_proof_verified']}; "
        f"full verification: {'ok' if ledger['verify_ok'] else ledger['problems']}"
    )
    console.rule("[bold]5. Data exchange (chia sẻ dữ liệu): agencies, keys, a first call")
    run_exchange_demo(settings, console)


def demo(
    citizens: int | None = typer.Option(None, help="Citizens to generate (default 100,000)."),
) -> None:
    """Set up ./ndc-data and run the whole chain on the embedded default (no server needed)."""
    settings = get_settings()
    if citizens is not None:
        settings = settings.model_copy(update={"demo_citizens": citizens})
    settings = settings.model_copy(update={"demo": True})
    run_demo(settings, make_console())
