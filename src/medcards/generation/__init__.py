"""Card generation (private): prompts, grounding, the extractive and the LLM generators.

The public names are re-exported by :mod:`medcards` (``check_card``, ``build_messages``,
``extract_json``...); generators are picked by name with :func:`medcards.get_card_generator`.
"""
