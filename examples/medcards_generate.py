"""Cards from a guide: ingest, generate offline, check grounding, see the prompt."""

from pathlib import Path

import medcards
from medcards import build_messages, check_card, render_target, split_guide

GUIDE = Path(__file__).parent / "guides" / "cetoacidosis_diabetica.md"

# 1. A guide becomes topics (one per section; long sections are cut to the context budget).
topics = split_guide(GUIDE, modulo="endocrino")
topic = topics[0]
print(f"{len(topics)} topic(s): {topic.title!r}, {len(topic.context)} characters")

# 2. The offline `extractive` generator: no model, every fact quotes the guide.
generator = medcards.get_card_generator("extractive")
for kind in ("battlecard", "mcq", "open"):
    request = medcards.CardRequest(topic=topic.title, context=topic.context, kind=kind, seed=1)
    card = generator.generate(request)
    report = check_card(card, topic.context, strictness="strict")
    print(f"{kind:<10} grounded={report.grounded} claims={len(report.claims)}")
    if isinstance(card, medcards.MCQDrill):
        print("  ", card.question, card.options, "->", card.answer)

# 3. An angle variant after a failed card, as the study engine asks for it.
variant = generator.generate(
    medcards.CardRequest(
        topic=topic.title,
        context=topic.context,
        kind="variant",
        perspective="complicaciones del tratamiento",
        parent_id="0123456789abcdef",
    )
)
print("variant:", variant.challenge)

# 4. The prompt an LLM backend would receive, and the exact JSON a fine-tuned model learns.
messages = build_messages(
    medcards.CardRequest(topic=topic.title, context=topic.context, kind="mcq")
)
print(messages[1].content.splitlines()[0], "...", len(messages[1].content), "characters")
print(render_target(card)[:120], "...")
