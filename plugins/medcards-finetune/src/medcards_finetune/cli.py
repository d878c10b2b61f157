"""``medcards finetune prepare|train|export|check|evaluate``.

Heavy libraries are imported inside the commands, so adding the group to ``medcards`` costs
nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

finetune_app = typer.Typer(
    help="Fine-tune a local model on cards: prepare, train, export to GGUF, check, evaluate.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)


def _parse_settings(settings: list[str]) -> dict[str, Any]:
    """``--set`` ``key=value`` pairs; values are JSON when they parse as JSON, else strings."""
    import medcards
    from medcards_finetune.errors import FinetuneError

    return medcards.parse_key_values(settings, flag="--set", error=FinetuneError)


def _labelled_rows(path: Path) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """``(file, line, row)`` for every row of one dataset file."""
    from medcards_finetune.dataset import read_rows

    for line, row in read_rows(path):
        yield str(path), line, row


@finetune_app.command()
def prepare(
    out: Annotated[Path, typer.Option("--out", "-o", help="Prepared dataset (JSONL) to write.")],
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="JSONL or Parquet files (tema, contexto_mcp, casos_generados)."),
    ] = None,
    from_db: Annotated[
        Path | None,
        typer.Option("--from-db", help="Also take the cards stored in this study database."),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="With --from-db: only cards of this kind (repeatable)."),
    ] = None,
    language: Annotated[str, typer.Option(help="Prompt language: es or en.")] = "es",
    strictness: Annotated[
        str, typer.Option(help="Grounding strictness: lenient, normal or strict.")
    ] = "normal",
    strict: Annotated[bool, typer.Option("--strict", help="Fail if any row is skipped.")] = False,
) -> None:
    """Validate rows (card model + grounding) and format them with the generator's prompts."""
    from itertools import chain

    from medcards_finetune.dataset import prepare_rows, rows_from_study_db
    from medcards_finetune.errors import DatasetError

    if language not in ("es", "en"):
        raise DatasetError(f"--language {language!r}: use es or en")
    if strictness not in ("lenient", "normal", "strict"):
        raise DatasetError(f"--strictness {strictness!r}: use lenient, normal or strict")
    if not inputs and from_db is None:
        raise DatasetError("give dataset files, --from-db, or both")
    sources = [_labelled_rows(path) for path in inputs or []]
    if from_db is not None:
        sources.append(rows_from_study_db(from_db, kinds=kind or ()))
    prepared = prepare_rows(chain(*sources), language=language, strictness=strictness)  # type: ignore[arg-type]
    for problem in prepared.problems:
        console.print(f"[yellow]skipped[/] {escape(str(problem))}", highlight=False, markup=True)
    if strict and prepared.problems:
        raise DatasetError(f"{len(prepared.problems)} row(s) failed validation (--strict)")
    if not prepared.examples:
        raise DatasetError(f"no valid rows ({len(prepared.problems)} skipped)")
    prepared.write_jsonl(out)
    console.print(
        f"{len(prepared.examples)} example(s) written to {out}; {len(prepared.problems)} skipped",
        highlight=False,
    )


@finetune_app.command()
def train(
    dataset: Annotated[
        Path, typer.Option("--dataset", "-d", help="Prepared JSONL (or a raw seed file).")
    ],
    base_model: Annotated[
        Path,
        typer.Option(
            "--base-model",
            "-m",
            help="Hugging Face model dir, a .gguf file (dequantized), or smollm2-135m-instruct "
            "/ gemma3-270m (packaged models).",
        ),
    ],
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Receives adapter/, merged/, logs.")
    ],
    trainer: Annotated[
        str, typer.Option("--trainer", "-t", help="peft (CPU/GPU) or unsloth (CUDA).")
    ] = "peft",
    max_steps: Annotated[int | None, typer.Option(help="Optimizer steps (default 150).")] = None,
    setting: Annotated[
        list[str] | None, typer.Option("--set", help="Trainer option key=value (repeatable).")
    ] = None,
) -> None:
    """LoRA SFT of the base model; the merged model lands in OUTPUT_DIR/merged."""
    import medcards

    options = _parse_settings(setting or [])
    if max_steps is not None:
        options["max_steps"] = max_steps
    result = medcards.get_trainer(trainer, **options).train(dataset, base_model, output_dir)
    table = Table(title=f"SFT ({trainer})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.metrics.items():
        table.add_row(key, f"{value:.4g}")
    console.print(table)
    console.print(f"model: {result.output_dir}", highlight=False)


@finetune_app.command()
def export(
    model_dir: Annotated[Path, typer.Argument(help="Merged model dir (or a LoRA adapter dir).")],
    out_path: Annotated[Path, typer.Argument(help="GGUF file to write.")],
    quantization: Annotated[
        str, typer.Option("--quantization", "-q", help="f16, q8_0 or q4_k_m.")
    ] = "q4_k_m",
    keep_f16: Annotated[
        bool, typer.Option(help="Keep the f16 GGUF next to a quantized output.")
    ] = False,
    exporter: Annotated[str, typer.Option(help="Exporter plugin.")] = "gguf",
    modelfile: Annotated[
        bool, typer.Option(help="Also write an Ollama Modelfile (<stem>.Modelfile) beside it.")
    ] = True,
) -> None:
    """Convert to GGUF (tokenizer, chat template, stop token), quantize, write a Modelfile."""
    import medcards

    options: dict[str, object] = {"quantization": quantization, "keep_f16": keep_f16}
    if exporter == "gguf":
        options["modelfile"] = modelfile
    with console.status(f"exporting {model_dir} to {quantization}"):
        result = medcards.get_exporter(exporter, **options).export(model_dir, out_path)
    console.print(
        f"{result.path} ({result.format}, {result.size_bytes / 2**20:.2f} MiB)", highlight=False
    )
    written = result.path.with_name(f"{result.path.stem}.Modelfile")
    if modelfile and written.is_file():
        console.print(f"{written} (ollama create NAME -f {written.name})", highlight=False)


@finetune_app.command()
def check(
    model_dir: Annotated[Path, typer.Argument(help="The merged Hugging Face model.")],
    gguf_path: Annotated[Path, typer.Argument(help="The GGUF exported from it.")],
    prompt: Annotated[
        list[str] | None, typer.Option("--prompt", "-p", help="User message (repeatable).")
    ] = None,
    max_new_tokens: Annotated[int, typer.Option(help="Greedy tokens per prompt.")] = 32,
    require_identical: Annotated[
        bool,
        typer.Option(
            help="Exit with code 1 unless every prompt gives identical tokens (f16 exports)."
        ),
    ] = False,
) -> None:
    """Compare greedy tokens of the GGUF (llama.cpp) with the Hugging Face model."""
    from medcards_finetune.roundtrip import DEFAULT_PROMPTS, check_roundtrip

    with console.status("decoding with transformers and llama.cpp"):
        report = check_roundtrip(
            model_dir, gguf_path, prompt or DEFAULT_PROMPTS, max_new_tokens=max_new_tokens
        )
    table = Table(title=f"roundtrip {gguf_path.name}")
    for column in ("prompt", "tokenizer", "common prefix", "identical"):
        table.add_column(column)
    for r in report.results:
        table.add_row(
            r.prompt[:50],
            "ok" if r.tokenizer_match else "DIFFERS",
            f"{r.common_prefix}/{max_new_tokens}",
            "yes" if r.identical else "no",
        )
    console.print(table)
    console.print(
        f"agreement {report.agreement:.1%} (prefix), {report.position_agreement:.1%} (positions); "
        f"identical: {report.identical}",
        highlight=False,
    )
    if require_identical and not report.identical:
        raise typer.Exit(1)


@finetune_app.command()
def evaluate(
    dataset: Annotated[
        Path, typer.Option("--dataset", "-d", help="Held-out rows (seed columns or prepared).")
    ],
    base: Annotated[Path, typer.Option("--base", help="GGUF of the model before fine-tuning.")],
    tuned: Annotated[Path, typer.Option("--tuned", help="GGUF of the fine-tuned model.")],
    generator: Annotated[str, typer.Option(help="Card generator plugin.")] = "llm",
    limit: Annotated[int | None, typer.Option(help="At most this many held-out contexts.")] = None,
    setting: Annotated[
        list[str] | None, typer.Option("--set", help="Generator option key=value (repeatable).")
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="Also write the comparison as an HTML report.")
    ] = None,
) -> None:
    """Schema-valid and grounded rates through the card generator, before vs after fine-tuning."""
    from medcards_finetune.evaluate import compare_models, write_html

    comparison = compare_models(
        dataset,
        {"base": base, "tuned": tuned},
        generator=generator,
        generator_options=_parse_settings(setting or []),
        limit=limit,
    )
    table = Table(title="before vs after fine-tuning")
    for column in ("model", "contexts", "schema-valid", "grounded", "accepted"):
        table.add_column(column)
    for label, score in comparison.items():
        table.add_row(
            label,
            str(score.total),
            f"{score.schema_valid_rate:.0%}",
            f"{score.grounded_rate:.0%}",
            f"{score.accepted_rate:.0%}",
        )
    console.print(table)
    if html is not None:
        write_html(comparison, html)
        console.print(f"report: {html}", highlight=False)
