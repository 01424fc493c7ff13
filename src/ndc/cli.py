"""The ``ndc`` command: collects the domains' sub-apps; no logic here."""

from __future__ import annotations

import typer

from ndc import __version__

app = typer.Typer(
    name="ndc",
    help="NDC — national data center platform (Trung tâm Dữ liệu quốc gia).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _register() -> None:
    from ndc.demo import demo
    from ndc.dictionary.cli import app as dictionary_app
    from ndc.exchange.cli import app as members_app
    from ndc.exchange.policy.cli import catalogue_app, consent_app
    from ndc.exchange.subscriptions.cli import app as subscriptions_app
    from ndc.golden.cli import app as golden_app
    from ndc.ledger.cli import app as ledger_app
    from ndc.link.cli import app as link_app
    from ndc.link.reconcile_cli import app as reconcile_app
    from ndc.pipeline.cli import app as pipeline_app
    from ndc.quality.cli import app as quality_app
    from ndc.serve import serve
    from ndc.sources.cli import app as sources_app
    from ndc.synth.cli import synth

    app.add_typer(dictionary_app, name="dictionary")
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(sources_app, name="sources")
    app.add_typer(pipeline_app, name="pipeline")
    app.add_typer(quality_app, name="quality")
    app.add_typer(link_app, name="link")
    app.add_typer(reconcile_app, name="reconcile")
    app.add_typer(golden_app, name="golden")
    app.add_typer(members_app, name="members")
    app.add_typer(catalogue_app, name="catalogue")
    app.add_typer(consent_app, name="consent")
    app.add_typer(subscriptions_app, name="subscriptions")
    app.command("synth")(synth)
    app.command("serve")(serve)
    app.command("demo")(demo)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


_register()


def main() -> None:
    app()
