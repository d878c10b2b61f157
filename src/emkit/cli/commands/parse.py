"""``emkit parse``: a chat export becomes a pseudonymised patient directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from _sdk.cli import console


def register(app: typer.Typer) -> None:
    """Add ``parse`` to ``app``."""
    app.command("parse")(parse)


def parse(
    export: Annotated[
        Path, typer.Argument(help="The chat export (WhatsApp .txt, Telegram result.json).")
    ],
    patient: Annotated[
        str, typer.Option("--patient", help="Pseudonymous patient id (directory name).")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Patient directory to write (named like --patient).")
    ],
    sender: str | None = typer.Option(None, "--sender", help="The patient's display name."),
    format: str | None = typer.Option(None, "--format", help="Parser name; default: sniffed."),
    dayfirst: bool | None = typer.Option(
        None, "--dayfirst/--monthfirst", help="Date order of a WhatsApp export; default: detected."
    ),
    chat: str | None = typer.Option(
        None, "--chat", help="Full Telegram export: keep only the chat with this name or id."
    ),
    tz: str | None = typer.Option(
        None,
        "--tz",
        help="IANA zone to place the messages in; default: the export's own wall clock.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing patient directory."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Keep one participant's messages of a chat export as a pseudonymised patient directory.

    Writes OUT/messages/YYYY-MM-DD.txt and OUT/metadata.json (and an empty events.csv when none
    exists). Other participants' names, phone numbers and e-mails never reach the output.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from emkit.parsers import export_to_patient, open_parser

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task(f"parsing {export.name}", total=None)
        parser = open_parser(export, format, dayfirst=dayfirst, chat=chat, tz=tz)
        parsed = parser.parse(export)
        progress.update(task, description=f"writing {len(parsed.messages)} messages")
        summary = export_to_patient(
            parsed, sender=sender, patient_id=patient, out=out, tz=tz, overwrite=force
        )
    if as_json:
        typer.echo(json.dumps(summary.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    console.print(
        f"[bold]{summary.patient_id}[/]: {summary.messages} messages on {summary.days} days "
        f"({summary.first_day} .. {summary.last_day}) from {summary.format} export; "
        f"{summary.media} media and {summary.deleted} deleted counted, "
        f"{summary.other_messages} messages of {summary.participants} other participant(s) and "
        f"{summary.system_lines} system lines dropped, {summary.redactions} redactions, "
        f"{len(summary.skipped)} lines skipped -> {summary.out}",
        highlight=False,
    )
