"""SFT dataset: the seed's rows (``tema``, ``contexto_mcp``, ``casos_generados``) -> chat examples.

Each target card is validated as the card model its ``kind`` names, checked for grounding in
its context and, for an MCQ, by the answer-key checks (:func:`medcards.check_answer_key`: the key
is in its evidence, no two options are equivalent, distractors are of the key's kind); rows that
fail are reported (file, line, field, reason) and skipped. The chat turns
come from :func:`medcards.build_messages` and :func:`medcards.render_target`, the
same templates the generator uses at inference, so the model is trained on exactly the prompts it
will see. Rendering to text uses the base model tokenizer's chat template, with EOS at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from medcards_finetune.errors import DatasetError

#: The seed's column names.
TOPIC, CONTEXT, TARGET = "tema", "contexto_mcp", "casos_generados"
#: Grounding strictness passed to :func:`medcards.check_card`.
Strictness = Literal["strict", "normal", "lenient"]


@dataclass(frozen=True)
class RowProblem:
    """Why one dataset row was skipped.

    Attributes:
        source: File (or database) the row came from.
        line: 1-based line (JSONL), row number (Parquet) or card id (study database).
        field: The offending column or card field.
        reason: What is wrong with it.
    """

    source: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.reason}"


@dataclass
class PreparedDataset:
    """Validated chat examples and the rows that were skipped.

    Attributes:
        examples: One dict per kept row: ``tema``, ``kind``, ``contexto_mcp`` and ``messages``
            (the prompt turns plus the assistant target, as ``{"role", "content"}`` dicts).
        problems: The skipped rows.
    """

    examples: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def write_jsonl(self, path: Path) -> Path:
        """Write the examples as JSON Lines (atomically) and return ``path``."""
        from medcards import atomic_write_text

        lines = (json.dumps(example, ensure_ascii=False) for example in self.examples)
        atomic_write_text(path, "".join(f"{line}\n" for line in lines))
        return path


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line, row)`` from a JSONL or Parquet file of the seed's columns.

    Raises:
        DatasetError: unreadable file, a line that is not a JSON object, unknown format.
    """
    if not path.is_file():
        raise DatasetError(f"{path}: no such dataset file")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(
                        f"{path}:{number}: not valid JSON ({exc.msg}, column {exc.colno})"
                    ) from None
                if not isinstance(row, dict):
                    raise DatasetError(f"{path}:{number}: a row must be a JSON object")
                yield number, row
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise DatasetError(f"{path}: unreadable Parquet file ({exc})") from None
        for number, row in enumerate(table.to_pylist(), start=1):
            yield number, row
    else:
        raise DatasetError(f"{path}: unknown dataset format {suffix!r} (use .jsonl or .parquet)")


def _grounding_reasons(card: Any, context: str, strictness: Strictness) -> list[str]:
    """The reasons :func:`medcards.check_card` gives for ``card`` not being grounded."""
    from medcards import check_card

    report = check_card(card, context, strictness=strictness)
    return [] if report.grounded else report.reasons()


def _answer_key_reasons(card: Any) -> list[str]:
    """The reasons :func:`medcards.check_answer_key` gives against an MCQ's key (else none)."""
    from medcards import MCQDrill, check_answer_key

    return check_answer_key(card).reasons() if isinstance(card, MCQDrill) else []


def validate_row(
    source: str,
    line: int,
    row: dict[str, Any],
    *,
    language: Literal["es", "en"] = "es",
    strictness: Strictness = "normal",
) -> tuple[dict[str, Any] | None, RowProblem | None]:
    """Validate one seed row and build its chat example, or say why it is skipped.

    Returns:
        ``(example, None)`` for a good row, ``(None, problem)`` otherwise.
    """
    from pydantic import ValidationError

    from medcards import CardRequest, build_messages, parse_card, render_target

    def problem(column: str, reason: str) -> tuple[None, RowProblem]:
        return None, RowProblem(source, line, column, reason)

    for column in (TOPIC, CONTEXT, TARGET):
        value = row.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            return problem(column, "missing or empty")
    topic, context, target = row[TOPIC], row[CONTEXT], row[TARGET]
    if not isinstance(topic, str) or not isinstance(context, str):
        return problem(TOPIC if not isinstance(topic, str) else CONTEXT, "must be text")
    try:
        card = parse_card(target if isinstance(target, (str, dict)) else str(target))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(card)"
        return problem(f"{TARGET}.{where}", f"{first['msg']} ({exc.error_count()} error(s))")
    except (ValueError, KeyError) as exc:
        return problem(TARGET, f"not a card: {exc}")
    reasons = _grounding_reasons(card, context, strictness)
    if reasons:
        return problem(TARGET, "not grounded: " + "; ".join(reasons))
    key_reasons = _answer_key_reasons(card)
    if key_reasons:
        return problem(f"{TARGET}.options", "; ".join(key_reasons))
    request = CardRequest(
        topic=topic,
        context=context,
        kind=card.kind,
        language=language,
        perspective=getattr(card, "perspective", None),
        parent_id=getattr(card, "parent_id", None),
    )
    turns = [turn.model_dump() for turn in build_messages(request)]
    turns.append({"role": "assistant", "content": render_target(card)})
    example: dict[str, Any] = {TOPIC: topic, CONTEXT: context, "kind": str(card.kind)}
    if request.perspective is not None:
        example.update(perspective=request.perspective, parent_id=request.parent_id)
    example["messages"] = turns
    return example, None


def prepare_rows(
    rows: Iterable[tuple[str, int, dict[str, Any]]],
    *,
    language: Literal["es", "en"] = "es",
    strictness: Strictness = "normal",
) -> PreparedDataset:
    """Validate ``(source, line, row)`` triples into a :class:`PreparedDataset`."""
    prepared = PreparedDataset()
    for source, line, row in rows:
        example, problem = validate_row(source, line, row, language=language, strictness=strictness)
        if example is not None:
            prepared.examples.append(example)
        elif problem is not None:
            prepared.problems.append(problem)
    return prepared


def prepare_files(
    paths: Sequence[Path],
    *,
    language: Literal["es", "en"] = "es",
    strictness: Strictness = "normal",
) -> PreparedDataset:
    """Validate every row of the JSONL/Parquet files in ``paths``."""
    return prepare_rows(
        ((str(path), line, row) for path in paths for line, row in read_rows(path)),
        language=language,
        strictness=strictness,
    )


def rows_from_study_db(
    path: Path, *, kinds: Sequence[str] = ()
) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Yield seed-shaped rows from the cards stored in a study database (``temario.db``).

    Each stored card becomes one row: its topic's title (``tema``), the topic's source context
    (``contexto_mcp``) and the card (``casos_generados``) without its evidence locations (the
    pages are for the student; the model never sees them); the row number is the card id. A
    topic stored without context gives rows that validation reports and skips.

    Args:
        path: The study database.
        kinds: Only cards of these kinds (empty: all).

    Raises:
        DatasetError: when the file is missing.
    """
    if not path.is_file():
        raise DatasetError(f"{path}: no such study database")
    from medcards import without_locations
    from medcards.study import StudyEngine

    with StudyEngine(path) as engine:
        topics = {topic.topic_id: topic for topic in engine.topics()}
        rows = [
            (
                f"{path} card",
                stored.card_id,
                {
                    TOPIC: topics[stored.topic_id].title,
                    CONTEXT: topics[stored.topic_id].context,
                    # A model never sees pages: a target with them would teach it to invent
                    # page numbers.
                    TARGET: without_locations(stored.card).model_dump(mode="json"),
                },
            )
            for stored in engine.cards()
            if not kinds or stored.kind.value in kinds
        ]
    yield from rows


def load_examples(path: Path) -> list[dict[str, Any]]:
    """Read a prepared dataset (JSONL of ``messages``), or prepare a raw seed file on the fly.

    Raises:
        DatasetError: a file without usable rows, or a prepared row without ``messages``.
    """
    rows = list(read_rows(path))
    if not rows:
        raise DatasetError(f"{path}: the dataset has no rows")
    if all("messages" in row for _, row in rows):
        for line, row in rows:
            turns = row["messages"]
            if not (
                isinstance(turns, list)
                and turns
                and all(isinstance(t, dict) and {"role", "content"} <= t.keys() for t in turns)
                and turns[-1]["role"] == "assistant"
            ):
                raise DatasetError(
                    f"{path}:{line}: messages: must be a list of role/content turns ending "
                    "with the assistant's card"
                )
        return [row for _, row in rows]
    prepared = prepare_rows((str(path), line, row) for line, row in rows)
    if not prepared.examples:
        listed = "\n".join(f"  - {p}" for p in prepared.problems[:10])
        raise DatasetError(f"{path}: no valid rows ({len(prepared.problems)} skipped):\n{listed}")
    return prepared.examples


def render_text(messages: Sequence[dict[str, str]], tokenizer: Any) -> str:
    """One training text: ``messages`` through the tokenizer's chat template, ending with EOS.

    Raises:
        DatasetError: when the tokenizer has no chat template or no EOS token.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise DatasetError(
            "the base model's tokenizer has no chat template (tokenizer_config.json "
            "'chat_template'); use an instruct model or add one"
        )
    eos = tokenizer.eos_token
    if not eos:
        raise DatasetError("the base model's tokenizer has no EOS token")
    text: str = tokenizer.apply_chat_template(list(messages), tokenize=False)
    # Templates that write BOS themselves (Llama 3) would get a second one from a tokenizer
    # that adds BOS when the trainer tokenizes the text: keep the tokenizer's.
    bos = getattr(tokenizer, "bos_token", None)
    if bos and text.startswith(bos) and _adds_bos(tokenizer):
        text = text[len(bos) :]
    # Templates that already close the turn with EOS keep a single one at the very end.
    return text.rstrip() if text.rstrip().endswith(eos) else text + eos


def _adds_bos(tokenizer: Any) -> bool:
    """Whether ``tokenizer(text)`` puts BOS in front by itself."""
    bos_id = getattr(tokenizer, "bos_token_id", None)
    ids = tokenizer("a")["input_ids"]
    return bos_id is not None and bool(ids) and ids[0] == bos_id


def split_prompt(messages: Sequence[dict[str, str]], text: str, tokenizer: Any) -> tuple[str, str]:
    """Cut a rendered training ``text`` into the prompt and the assistant's completion.

    The prompt is the chat template's rendering of every turn but the last, with the generation
    prompt: exactly what the model sees at inference.

    Raises:
        DatasetError: when ``text`` does not start with that prompt (a template that renders
            earlier turns differently once an assistant turn follows).
    """
    prompt: str = tokenizer.apply_chat_template(
        list(messages[:-1]), tokenize=False, add_generation_prompt=True
    )
    bos = getattr(tokenizer, "bos_token", None)
    if bos and prompt.startswith(bos) and not text.startswith(bos):
        prompt = prompt[len(bos) :]
    if not text.startswith(prompt):
        raise DatasetError(
            "the chat template renders the prompt differently with and without the answer; "
            "use loss_on='all'"
        )
    return prompt, text[len(prompt) :]
