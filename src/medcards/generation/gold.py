"""The gold set: hand-checked cards over sample guides, split by guide for training and testing.

The gold cards were written by hand over the sample guides of ``examples/guides`` (none comes
from a generator). They ship inside the package, in ``medcards/gold/``:

- ``train.jsonl`` and ``held_out.jsonl``: one card per line, in the seed's row format that
  ``medcards finetune prepare`` reads (``tema``, ``contexto_mcp``, ``casos_generados``), plus
  ``id`` and ``guia`` (the guide file);
- ``split.json``: which guides are training guides and which are held out. Every card of a guide
  is on the side of its guide, so a model trained on ``train.jsonl`` never saw a held-out guide.

``contexto_mcp`` is the guide's topic context exactly as :func:`medcards.split_guide` cuts it,
so a model is trained on the prompts it sees at inference. ``docs/medcards/gold-set.md``
describes the format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medcards.cards import Card, parse_card
from medcards.errors import MedcardsError

__all__ = [
    "GOLD_SET_DIR",
    "GoldCard",
    "GoldSplit",
    "gold_set_path",
    "load_gold_cards",
    "load_gold_split",
]

#: The folder of the gold set inside the installed package.
GOLD_SET_DIR = Path(__file__).resolve().parents[1] / "gold"

#: The two sides of the split.
SplitName = Literal["train", "held_out"]


class GoldSplit(BaseModel):
    """Which guides are training guides and which are held out (``split.json``).

    Attributes:
        format: Version of the gold-set format (1).
        guides: Where the guides are, relative to the source tree (``examples/guides``).
        train: Guide files whose cards are for training.
        held_out: Guide files kept out of training, to evaluate on.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal[1]
    guides: str
    train: list[str] = Field(min_length=1)
    held_out: list[str] = Field(min_length=1)


class GoldCard(BaseModel):
    """One gold card and where it comes from.

    Attributes:
        id: Stable id, ``<guide stem>-<nn>``.
        guide: The guide file (``guia``).
        topic: The topic title (``tema``).
        context: The topic context the card is grounded in (``contexto_mcp``).
        card: The card (``casos_generados``).
        split: ``train`` or ``held_out``.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    guide: str
    topic: str
    context: str
    card: Card
    split: SplitName


def gold_set_path(split: SplitName | Literal["split"]) -> Path:
    """The file of one side of the split (``train.jsonl``, ``held_out.jsonl``), or ``split.json``.

    ``medcards finetune prepare $(python -c 'import medcards; print(medcards.gold_set_path(
    "train"))')`` prepares the training side.
    """
    if split == "split":
        return GOLD_SET_DIR / "split.json"
    if split not in ("train", "held_out"):
        raise ValueError(f"split must be 'train', 'held_out' or 'split', got {split!r}")
    return GOLD_SET_DIR / f"{split}.jsonl"


def load_gold_split() -> GoldSplit:
    """Read ``split.json``.

    Raises:
        MedcardsError: when the file is missing or malformed, naming it.
    """
    path = gold_set_path("split")
    try:
        return GoldSplit.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise MedcardsError(f"{path}: unreadable gold split ({exc})") from None


def _gold_card(path: Path, number: int, row: dict[str, Any], split: SplitName) -> GoldCard:
    try:
        return GoldCard(
            id=row["id"],
            guide=row["guia"],
            topic=row["tema"],
            context=row["contexto_mcp"],
            card=parse_card(row["casos_generados"]),
            split=split,
        )
    except KeyError as exc:
        raise MedcardsError(f"{path}:{number}: missing field {exc.args[0]!r}") from None
    except (ValidationError, ValueError) as exc:
        raise MedcardsError(f"{path}:{number}: not a gold card ({exc})") from None


def load_gold_cards(split: SplitName | None = None) -> list[GoldCard]:
    """The gold cards of one side of the split, or of both (``split=None``), in file order.

    Raises:
        MedcardsError: a missing file, a line that is not JSON or a card that does not validate,
            naming the file and line.
    """
    sides: list[SplitName] = ["train", "held_out"] if split is None else [split]
    cards: list[GoldCard] = []
    for side in sides:
        path = gold_set_path(side)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise MedcardsError(f"{path}: unreadable gold set ({exc})") from None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise MedcardsError(f"{path}:{number}: not JSON ({exc.msg})") from None
            cards.append(_gold_card(path, number, row, side))
    return cards
