"""The built-in ``extractive`` card generator: offline, no language model, grounded by construction.

It segments a topic's context into headed sections, list items and sentences, classifies each
segment (definition, diagnostic criteria, first- and second-line treatment, pitfalls, key
facts with doses and thresholds) from the section headings and cue phrases, and assembles:

- a :class:`~medcards.BattleCard` whose facts quote their sentence verbatim;
- :class:`~medcards.MCQDrill` clinical cases (Level 1): a patient whose findings come from the
  guide's criteria, a decision question (which dose, which threshold, which treatment in this
  situation, which drug is contraindicated) and options of the key's kind taken from the guide's
  sibling items (:mod:`medcards.generation.cases`). Only a context that supports no case gets
  cloze questions instead, and their vignette says so. Every MCQ passes
  :func:`medcards.check_answer_key`;
- :class:`~medcards.OpenDrill` challenges from lists and criteria, and the seed's Level-2
  "complete first- and second-line treatment scheme";
- :class:`~medcards.Variant` challenges that gather the sentences matching a perspective.

Several candidates exist per kind; ``request.seed`` picks one (``seed % n``), so seeds 0, 1, 2...
walk through different cards. Every candidate is re-checked with the ``strict`` grounding
level before it is returned.

Segmentation is in :mod:`medcards.generation.segments`, the clinical cases in
:mod:`medcards.generation.cases`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field

from medcards.cards import (
    LONG_TEXT_MAX,
    QUOTE_MAX,
    SHORT_TEXT_MAX,
    BattleCard,
    Card,
    Fact,
    MCQDrill,
    OpenDrill,
    Variant,
)
from medcards.errors import CardRejected
from medcards.generation.answer_key import check_answer_key
from medcards.generation.cases import CaseDraft, clinical_cases, value_options
from medcards.generation.grounding import Strictness, check_card, normalize
from medcards.generation.segments import Parsed, Quantity, Segment, segment_context
from medcards.generation.segments import quantities as find_blankable
from medcards.interfaces import CardGenerator
from medcards.models import CardKind, CardRequest

__all__ = ["ExtractiveGenerator", "Segment", "segment_context"]

#: How a cloze question (the fallback when a context supports no clinical case) says what it is.
_FALLBACK_ES = (
    "[Pregunta de repaso, no caso clínico: la guía no da tratamientos, dosis, umbrales ni "
    "contraindicaciones para construir uno.]"
)
_FALLBACK_EN = (
    "[Review question, not a clinical case: the guide gives no treatment, dose, threshold or "
    "contraindication to build one from.]"
)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _format_like(value: float, template: str) -> str:
    decimals = len(template.split(",")[-1]) if "," in template else 0
    decimals = max(decimals, len(template.split(".")[-1]) if "." in template else 0)
    text = f"{round(value, max(decimals, 2)):g}" if decimals else f"{round(value):d}"
    if "e" in text:  # tiny or huge: fall back to plain notation
        text = f"{value:.{max(decimals, 2)}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if "," in template else text


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


class ExtractiveGenerator(CardGenerator):
    """Builds cards from the context's own sentences: no model, deterministic, grounded.

    For each sample guide topic it yields a BattleCard, several MCQs (one per dose, threshold
    or criterion it can blank out) and open drills from lists and treatment schemes.
    """

    name: ClassVar[str] = "extractive"
    uses_backend: ClassVar[bool] = False

    class Options(CardGenerator.Options):
        """Options of the extractive generator."""

        n_options: int = Field(default=4, ge=4, le=5, description="Options per MCQ (4 or 5).")
        strictness: Strictness = Field(
            default="strict", description="Grounding level every candidate is re-checked at."
        )

    options: Options

    def __init__(self, **options: Any) -> None:
        """Validate options."""
        super().__init__(**options)
        #: The clinical cases the last MCQ request dropped: ``(question, reasons)``, reasons
        #: prefixed ``answer key:`` or ``grounding:``. Empty after other kinds.
        self.last_rejections: list[tuple[str, list[str]]] = []

    # -- public API -----------------------------------------------------------------------

    def generate(self, request: CardRequest) -> Card:
        """The ``seed % n``-th candidate card of ``request.kind`` (seed ``None``: the first).

        Raises:
            CardRejected: when the context offers nothing to build that kind of card from.
        """
        cards = self.candidates(request)
        if not cards:
            raise CardRejected(request.topic, [self._why_none(request)])
        return cards[(request.seed or 0) % len(cards)]

    def candidates(self, request: CardRequest) -> list[Card]:
        """Every card of ``request.kind`` the context supports, each checked for grounding."""
        parsed = Parsed(segment_context(request.context))
        self.last_rejections = []
        builders = {
            CardKind.BATTLECARD: self._battlecards,
            CardKind.MCQ: self._mcqs,
            CardKind.OPEN: self._open_drills,
            CardKind.VARIANT: self._variants,
        }
        cards = builders[request.kind](request, parsed)
        return [
            card
            for card in cards
            if check_card(card, request.context, self.options.strictness).grounded
        ]

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _why_none(request: CardRequest) -> str:
        if request.kind == CardKind.VARIANT and not (request.perspective and request.parent_id):
            return "a variant needs request.perspective and request.parent_id"
        return f"the context has nothing to build a {request.kind.value} card from"

    @staticmethod
    def _fact(segment: Segment) -> Fact:
        text = segment.text
        if segment.list_id is not None and segment.list_intro:
            text = f"{segment.list_intro}: {text}"
        return Fact(text=_clip(text, SHORT_TEXT_MAX), evidence=segment.text)

    @staticmethod
    def _es(request: CardRequest) -> bool:
        return request.language == "es"

    # -- BattleCard -----------------------------------------------------------------------

    def _battlecards(self, request: CardRequest, parsed: Parsed) -> list[Card]:
        usable = [s for s in parsed.segments if len(s.text) <= QUOTE_MAX]
        sections: dict[str, list[Fact]] = {
            "definition": [],
            "key_facts": [],
            "diagnosis": [],
            "first_line_treatment": [],
            "second_line_treatment": [],
            "pitfalls": [],
        }
        limits = {k: BattleCard.model_fields[k].metadata for k in sections}
        target = {
            "definition": "definition",
            "key_facts": "key_facts",
            "diagnosis": "diagnosis",
            "first_line": "first_line_treatment",
            "second_line": "second_line_treatment",
            "pitfalls": "pitfalls",
        }
        for segment in usable:
            name = target.get(segment.section)
            if name is None:
                continue
            cap = next((m.max_length for m in limits[name] if hasattr(m, "max_length")), 8)
            if len(sections[name]) < cap:
                sections[name].append(self._fact(segment))
        if not any(sections.values()):
            return []
        return [BattleCard(topic=_clip(request.topic, SHORT_TEXT_MAX), **sections)]

    # -- MCQs ----------------------------------------------------------------------------

    def _mcqs(self, request: CardRequest, parsed: Parsed) -> list[Card]:
        """Clinical cases; cloze questions only when the context supports no case at all."""
        es = self._es(request)
        self.last_rejections = []
        cards: list[Card] = []
        for draft in clinical_cases(request.topic, parsed, self.options.n_options, es):
            card = self._case_card(request, draft)
            if card is None:
                continue
            reasons = check_answer_key(card).reasons() + [
                f"grounding: {r}"
                for r in check_card(card, request.context, self.options.strictness).reasons()
            ]
            if reasons:
                self.last_rejections.append((card.question, reasons))
            else:
                cards.append(card)
        if cards:
            return cards
        return [
            card
            for card in self._cloze_mcqs(request, parsed)
            if isinstance(card, MCQDrill) and check_answer_key(card).passed
        ]

    def _case_card(self, request: CardRequest, draft: CaseDraft) -> MCQDrill | None:
        if len(draft.evidence) > QUOTE_MAX or normalize(draft.key) in normalize(draft.vignette):
            return None
        options, answer = self._shuffle(request, draft.key, draft.distractors, draft.salt)
        if any(len(o) > SHORT_TEXT_MAX for o in options):
            return None
        return MCQDrill(
            topic=_clip(request.topic, SHORT_TEXT_MAX),
            vignette=_clip(draft.vignette, LONG_TEXT_MAX),
            question=_clip(draft.question, SHORT_TEXT_MAX),
            options=options,
            answer_index=answer,
            explanation=_clip(draft.evidence, LONG_TEXT_MAX),
            evidence=draft.evidence,
        )

    def _cloze_mcqs(self, request: CardRequest, parsed: Parsed) -> list[Card]:
        """The fallback: blanked doses and thresholds, list membership; each says it is one."""
        cards: list[Card] = []
        es = self._es(request)
        all_quantities = [(s, q) for s in parsed.segments for q in find_blankable(s.text)]
        for segment in parsed.segments:
            quantities = [q for q in find_blankable(segment.text) if q.unit or q.high]
            if len(segment.text) > QUOTE_MAX:
                continue
            # A bare number is worth asking only when it is the sentence's one number.
            if not quantities:
                bare = find_blankable(segment.text)
                quantities = bare if len(bare) == 1 else []
            for quantity in quantities[:1]:
                card = self._numeric_mcq(request, segment, quantity, all_quantities, es)
                if card is not None:
                    cards.append(card)
        for items in parsed.lists().values():
            card = self._list_mcq(request, items, parsed, es)
            if card is not None:
                cards.append(card)
        return cards

    def _shuffle(
        self, request: CardRequest, correct: str, distractors: Sequence[str], salt: int
    ) -> tuple[list[str], int]:
        options = [correct, *distractors[: self.options.n_options - 1]]
        rng = random.Random(f"{request.seed or 0}:{salt}")
        rng.shuffle(options)
        return options, options.index(correct)

    def _numeric_mcq(
        self,
        request: CardRequest,
        segment: Segment,
        quantity: Quantity,
        all_quantities: list[tuple[Segment, Quantity]],
        es: bool,
    ) -> MCQDrill | None:
        # The same options as a clinical case: values of the same unit elsewhere in the guide,
        # then neighbours on the clinical rounding grid (never tenfold or halved values).
        siblings = [
            other
            for other_segment, other in all_quantities
            if other_segment.index != segment.index and other.unit == quantity.unit and other.unit
        ]
        correct, distractors = value_options(quantity, siblings, self.options.n_options - 1, "", "")
        if len(distractors) < self.options.n_options - 1:
            return None
        blanked = segment.text[: quantity.start] + "____" + segment.text[quantity.end :]
        topic = request.topic
        if es:
            vignette = (
                f"{_FALLBACK_ES} Paciente en seguimiento por {topic}. Para decidir la conducta, "
                f"el equipo consulta la guía, que dice: «{blanked}»"
            )
            question = "¿Qué valor completa la frase de la guía?"
            explanation = segment.text
        else:
            vignette = (
                f"{_FALLBACK_EN} A patient is being managed for {topic}. To decide what to do, "
                f"the team checks the guide, which says: \u201c{blanked}\u201d"
            )
            question = "Which value completes the guide's sentence?"
            explanation = segment.text
        options, answer = self._shuffle(request, correct, distractors, segment.index)
        return MCQDrill(
            topic=_clip(topic, SHORT_TEXT_MAX),
            vignette=_clip(vignette, LONG_TEXT_MAX),
            question=question,
            options=options,
            answer_index=answer,
            explanation=_clip(explanation, LONG_TEXT_MAX),
            evidence=segment.text,
        )

    def _list_mcq(
        self, request: CardRequest, items: list[Segment], parsed: Parsed, es: bool
    ) -> MCQDrill | None:
        if len(items) < 2:
            return None
        intro = items[0].list_intro or items[0].heading
        if not intro:
            return None
        members = {normalize(i.text) for i in items}
        rng = random.Random(f"{request.seed or 0}:list{items[0].index}")
        correct = items[rng.randrange(len(items))]
        seen = set(members)
        distractors: list[str] = []
        for other in parsed.segments:
            key = normalize(other.text)
            elsewhere = other.list_id is not None and other.list_id != items[0].list_id
            if elsewhere and key not in seen and len(other.text) <= SHORT_TEXT_MAX:
                seen.add(key)
                distractors.append(other.text)
        # Not enough items elsewhere: change the threshold of an item of this list.
        for item in items:
            for quantity in find_blankable(item.text)[:1]:
                for scale in (1.5, 0.75, 2.0):
                    value = _format_like(_number(quantity.low) * scale, quantity.low)
                    text = (
                        item.text[: quantity.start]
                        + f"{value}{' ' + quantity.unit if quantity.unit else ''}"
                        + item.text[quantity.end :]
                    )
                    if normalize(text) not in seen and len(text) <= SHORT_TEXT_MAX:
                        seen.add(normalize(text))
                        distractors.append(text)
                        break
        rng.shuffle(distractors)
        if len(distractors) < self.options.n_options - 1:
            return None
        topic = request.topic
        if es:
            vignette = (
                f"{_FALLBACK_ES} Un residente repasa {topic} antes de la guardia y revisa el "
                f"apartado «{intro}» de la guía."
            )
            question = f"¿Cuál de los siguientes figura en «{intro}» según la guía?"
            explanation = f"{intro}: {correct.text}"
        else:
            vignette = (
                f"{_FALLBACK_EN} A resident reviews {topic} before a shift and reads the section "
                f"\u201c{intro}\u201d of the guide."
            )
            question = f"Which of the following is listed under \u201c{intro}\u201d in the guide?"
            explanation = f"{intro}: {correct.text}"
        options, answer = self._shuffle(request, correct.text, distractors, items[0].index + 10_000)
        return MCQDrill(
            topic=_clip(topic, SHORT_TEXT_MAX),
            vignette=_clip(vignette, LONG_TEXT_MAX),
            question=_clip(question, SHORT_TEXT_MAX),
            options=[_clip(o, SHORT_TEXT_MAX) for o in options],
            answer_index=answer,
            explanation=_clip(explanation, LONG_TEXT_MAX),
            evidence=correct.text,
        )

    # -- open drills --------------------------------------------------------------------

    def _open_drills(self, request: CardRequest, parsed: Parsed) -> list[Card]:
        cards: list[Card] = []
        es = self._es(request)
        topic = _clip(request.topic, SHORT_TEXT_MAX)
        treatment = parsed.by_section("first_line") + parsed.by_section("second_line")
        if treatment:
            challenge = (
                f"El estudiante ha alcanzado Nivel 2 en {request.topic}. Sin opciones: describe el "
                "esquema completo de tratamiento de primera y segunda línea."
                if es
                else f"Level 2 on {request.topic}. Without options: describe the complete first- "
                "and second-line treatment scheme."
            )
            key_points = [self._fact(s) for s in treatment if len(s.text) <= QUOTE_MAX][:8]
            if key_points:
                cards.append(OpenDrill(topic=topic, challenge=challenge, key_points=key_points))
        for items in parsed.lists().values():
            intro = items[0].list_intro or items[0].heading
            if len(items) < 2 or not intro:
                continue
            challenge = (
                f"Sin opciones: enumera «{intro}» de {request.topic} según la guía."
                if es
                else f"Without options: list \u201c{intro}\u201d for {request.topic} per the guide."
            )
            key_points = [
                Fact(text=_clip(s.text, SHORT_TEXT_MAX), evidence=s.text)
                for s in items
                if len(s.text) <= QUOTE_MAX
            ][:8]
            cards.append(OpenDrill(topic=topic, challenge=challenge, key_points=key_points))
        return cards

    # -- variants -----------------------------------------------------------------------

    _PERSPECTIVE_HINTS: ClassVar[dict[str, tuple[str, ...]]] = {
        "complic": (
            "complic",
            "riesgo",
            "edema",
            "arritm",
            "perfor",
            "absces",
            "hipoten",
            "alarma",
            "risk",
        ),
        "diferencial": ("diferen", "descart", "distin", "ectopi", "embara", "differ"),
        "differential": ("diferen", "descart", "distin", "ectopi", "differ", "rule"),
        "tratamiento": ("tratam", "dosis", "admini", "perfus", "linea", "treat", "dose"),
        "treatment": ("tratam", "dosis", "admini", "treat", "dose", "line"),
        "diagnost": ("diagno", "criter", "escala", "prueba", "ecogra", "diagn"),
        "monitor": ("vigil", "medir", "contro", "monito", "seguim"),
        "seguimiento": ("vigil", "medir", "contro", "seguim", "resolu"),
    }

    def _variants(self, request: CardRequest, parsed: Parsed) -> list[Card]:
        if not (request.perspective and request.parent_id):
            return []
        stems = {w[:5] for w in re.findall(r"[a-z]{4,}", normalize(request.perspective))}
        for key, hints in self._PERSPECTIVE_HINTS.items():
            if key[:5] in stems or any(
                key in w for w in re.findall(r"[a-z]+", normalize(request.perspective))
            ):
                stems |= {h[:5] for h in hints}
        scored = []
        for segment in parsed.segments:
            words = {
                w[:5]
                for w in re.findall(r"[a-z]{4,}", normalize(segment.text + " " + segment.heading))
            }
            score = len(words & stems)
            if score and len(segment.text) <= QUOTE_MAX:
                scored.append((score, segment.index, segment))
        scored.sort(key=lambda t: (-t[0], t[1]))
        chosen = [s for _, _, s in scored[:5]]
        if not chosen:  # nothing on that angle: fall back to the pitfalls, the usual blind spot
            chosen = [s for s in parsed.by_section("pitfalls") if len(s.text) <= QUOTE_MAX][:5]
        if not chosen:
            return []
        chosen.sort(key=lambda s: s.index)
        es = self._es(request)
        challenge = (
            f"Nuevo enfoque tras el fallo: plantea {request.topic} desde la perspectiva de "
            f"{request.perspective}. ¿Qué indica la guía al respecto?"
            if es
            else f"New angle after the failure: approach {request.topic} from the perspective of "
            f"{request.perspective}. What does the guide say about it?"
        )
        cards: list[Card] = [
            Variant(
                topic=_clip(request.topic, SHORT_TEXT_MAX),
                parent_id=_clip(request.parent_id, SHORT_TEXT_MAX),
                perspective=_clip(request.perspective, SHORT_TEXT_MAX),
                challenge=_clip(challenge, LONG_TEXT_MAX),
                key_points=[self._fact(s) for s in chosen],
            )
        ]
        return cards
