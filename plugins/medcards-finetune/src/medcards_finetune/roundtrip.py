"""Roundtrip check: greedy tokens of an exported GGUF (llama.cpp) vs the Hugging Face model.

Both sides decode greedily (argmax) from the same prompt token ids, for a fixed number of tokens
and without stopping at EOS, so any divergence is a conversion or quantization difference, not a
sampling or stopping one. Prompts are rendered with the model's chat template; the check also
verifies that llama.cpp tokenizes each rendered prompt into the same ids as the HF tokenizer.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Default prompts of the check (Spanish, like the cards).
DEFAULT_PROMPTS = (
    "Tema: Cetoacidosis diabética. Resume el tratamiento inicial.",
    "Genera un caso clínico sobre el estatus epiléptico.",
    "¿Cuáles son los criterios de resolución de la cetoacidosis?",
    "Apendicitis aguda: diagnóstico diferencial.",
)


@dataclass
class PromptResult:
    """One prompt's comparison.

    Attributes:
        prompt: The user message.
        tokenizer_match: llama.cpp tokenized the rendered prompt into the HF tokenizer's ids.
        hf_tokens: Greedy tokens of the Hugging Face model.
        gguf_tokens: Greedy tokens of the GGUF model.
    """

    prompt: str
    tokenizer_match: bool
    hf_tokens: list[int]
    gguf_tokens: list[int]

    @property
    def common_prefix(self) -> int:
        """Number of leading tokens both models generated identically."""
        n = 0
        for a, b in zip(self.hf_tokens, self.gguf_tokens, strict=False):
            if a != b:
                break
            n += 1
        return n

    @property
    def identical(self) -> bool:
        """Whether the two greedy continuations are equal."""
        return self.hf_tokens == self.gguf_tokens


@dataclass
class RoundtripReport:
    """The check over all prompts.

    Attributes:
        gguf_path: The GGUF file checked.
        max_new_tokens: Tokens generated per prompt.
        results: Per-prompt comparisons.
    """

    gguf_path: Path
    max_new_tokens: int
    results: list[PromptResult] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """Every prompt tokenized identically and produced identical greedy tokens."""
        return all(r.identical and r.tokenizer_match for r in self.results)

    @property
    def agreement(self) -> float:
        """Mean fraction (0-1) of generated tokens before the first divergence, over prompts."""
        if not self.results:
            return 0.0
        return sum(r.common_prefix / self.max_new_tokens for r in self.results) / len(self.results)

    @property
    def position_agreement(self) -> float:
        """Fraction (0-1) of generated positions where both models chose the same token."""
        total = same = 0
        for r in self.results:
            total += self.max_new_tokens
            same += sum(a == b for a, b in zip(r.hf_tokens, r.gguf_tokens, strict=False))
        return same / total if total else 0.0


def hf_greedy(
    model_dir: Path, prompt_ids: Sequence[Sequence[int]], max_new_tokens: int
) -> list[list[int]]:
    """Greedy continuations (fp32, CPU) of each prompt by a Hugging Face model directory."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    cache = _cache_field(model)
    outputs: list[list[int]] = []
    with torch.no_grad():
        for ids in prompt_ids:
            # A plain argmax loop: generate() would stop at, or with min_new_tokens mask, EOS.
            step = model(input_ids=torch.tensor([list(ids)]), use_cache=True)
            generated: list[int] = []
            for _ in range(max_new_tokens):
                token = int(step.logits[0, -1].argmax())
                generated.append(token)
                step = model(
                    input_ids=torch.tensor([[token]]), use_cache=True, **{cache: step[cache]}
                )
            outputs.append(generated)
    return outputs


def _cache_field(model: Any) -> str:
    """The name of the key-value cache, as a forward argument and as an output field.

    transformers 5 renamed ``past_key_values`` to ``cache`` and warns on the old name; earlier
    releases know only ``past_key_values``.
    """
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def gguf_greedy(
    gguf_path: Path,
    prompt_ids: Sequence[Sequence[int]],
    max_new_tokens: int,
    *,
    texts: Sequence[str] = (),
    threads: int | None = None,
) -> tuple[list[list[int]], list[list[int]]]:
    """Greedy continuations of each prompt by llama.cpp (argmax of its logits, no EOS stop).

    Returns:
        The continuations, and llama.cpp's own tokenization of ``texts`` (special tokens
        parsed, no BOS added) so the caller can compare it with the Hugging Face tokenizer's.
    """
    import llama_cpp
    import numpy as np

    longest = max(len(ids) for ids in prompt_ids) + max_new_tokens
    llm = llama_cpp.Llama(
        model_path=str(gguf_path),
        n_ctx=max(64, longest + 8),
        logits_all=True,
        verbose=False,
        n_threads=threads,
    )
    try:
        tokenized = [llm.tokenize(t.encode("utf-8"), add_bos=False, special=True) for t in texts]
        outputs: list[list[int]] = []
        for ids in prompt_ids:
            llm.reset()
            llm.eval(list(ids))
            generated: list[int] = []
            for _ in range(max_new_tokens):
                token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
                generated.append(token)
                llm.eval([token])
            outputs.append(generated)
        return outputs, tokenized
    finally:
        llm.close()


def check_roundtrip(
    model_dir: Path,
    gguf_path: Path,
    prompts: Sequence[str] = DEFAULT_PROMPTS,
    *,
    max_new_tokens: int = 32,
) -> RoundtripReport:
    """Compare greedy decoding of ``gguf_path`` (llama.cpp) with ``model_dir`` (transformers).

    Args:
        model_dir: The merged Hugging Face model the GGUF was exported from.
        gguf_path: The exported GGUF.
        prompts: User messages, rendered with the model's chat template; a pretrained base
            without one (Gemma 3 270M) reads each as plain text after its BOS token.
        max_new_tokens: Tokens generated per prompt.
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    if getattr(tokenizer, "chat_template", None):
        rendered = [
            tokenizer.apply_chat_template(
                [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
            )
            for p in prompts
        ]
    else:
        rendered = [f"{tokenizer.bos_token or ''}{p}" for p in prompts]
    hf_ids = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in rendered]
    hf_out = hf_greedy(model_dir, hf_ids, max_new_tokens)
    gguf_out, gguf_ids = gguf_greedy(gguf_path, hf_ids, max_new_tokens, texts=rendered)
    report = RoundtripReport(gguf_path=gguf_path, max_new_tokens=max_new_tokens)
    for prompt, h_ids, g_ids, h, g in zip(prompts, hf_ids, gguf_ids, hf_out, gguf_out, strict=True):
        report.results.append(PromptResult(prompt, list(h_ids) == list(g_ids), h, g))
    return report
