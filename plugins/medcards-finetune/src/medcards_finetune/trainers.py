"""LoRA SFT trainers: ``peft`` (transformers + peft + trl, CPU or GPU) and ``unsloth`` (CUDA only).

Both write ``<output_dir>/adapter`` (the LoRA adapter and tokenizer), ``<output_dir>/merged``
(adapter merged into the base weights: a plain Hugging Face model directory, safetensors),
``<output_dir>/train_log.json`` and a loss plot ``<output_dir>/loss.png``.
"""

from __future__ import annotations

import contextlib
import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

import medcards
from medcards_finetune.errors import CudaUnavailableError, FinetuneError

#: The seven projection modules of Llama-family blocks (attention and MLP), the seed's targets.
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class LoraOptions(medcards.Trainer.Options):
    """Options shared by the LoRA trainers; defaults are the seed's Colab recipe."""

    r: int = Field(default=32, ge=1, description="LoRA rank.")
    lora_alpha: float = Field(default=32, gt=0, description="LoRA scaling numerator.")
    use_rslora: bool = Field(default=True, description="Rank-stabilised scaling alpha/sqrt(r).")
    lora_dropout: float = Field(default=0.0, ge=0, lt=1)
    target_modules: tuple[str, ...] = Field(default=PROJECTIONS, min_length=1)
    learning_rate: float = Field(default=1.5e-4, gt=0)
    lr_scheduler_type: str = "cosine"
    warmup_steps: int = Field(default=10, ge=0)
    weight_decay: float = Field(default=0.05, ge=0)
    max_steps: int = Field(default=150, ge=1, description="Optimizer steps.")
    per_device_train_batch_size: int = Field(default=2, ge=1)
    gradient_accumulation_steps: int = Field(default=4, ge=1)
    seed: int = 1234
    max_length: int = Field(default=4096, ge=16, description="Tokens per example (truncated).")
    logging_steps: int = Field(default=1, ge=1)
    gradient_checkpointing: bool = Field(
        default=True,
        description="Recompute activations in the backward pass (less memory, about a third "
        "more compute); off is faster where memory allows (small models on a CPU).",
    )
    time_limit_s: float | None = Field(
        default=None,
        gt=0,
        description="Stop after the optimizer step that passes this many seconds of training "
        "(the learning-rate schedule still spans max_steps); None: no limit.",
    )
    loss_on: Literal["all", "completion"] = Field(
        default="all",
        description="Tokens the loss is computed on: all (the seed's plain-text SFT) or "
        "completion (only the assistant's card; the prompt and guide text are context).",
    )
    merge: bool = Field(default=True, description="Also write the merged model to merged/.")
    progress: bool = Field(default=True, description="Show a rich progress bar.")
    model_cache: Path | None = Field(
        default=None,
        description="Where a GGUF base is dequantized (default: $MEDCARDS_MODEL_CACHE, else "
        "~/.cache/medcards/models).",
    )


def _cuda_available() -> bool:
    """Whether torch sees a CUDA device (False when torch itself is missing)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _progress_callback(total_steps: int, enabled: bool) -> Any:
    """A transformers ``TrainerCallback`` drawing a rich progress bar with the latest loss."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    from transformers import TrainerCallback

    class RichProgress(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.progress = Progress(
                TextColumn("[bold]SFT[/] paso {task.completed}/{task.total}"),
                BarColumn(),
                TextColumn("loss {task.fields[loss]}"),
                TimeRemainingColumn(),
                disable=not enabled,
            )
            self.task = self.progress.add_task("sft", total=total_steps, loss="-")

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.progress.start()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.progress.update(self.task, completed=state.global_step)

        def on_log(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            logs = kwargs.get("logs") or {}
            if "loss" in logs:
                self.progress.update(self.task, loss=f"{logs['loss']:.4f}")

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.progress.stop()

    return RichProgress()


def _time_limit_callback(seconds: float) -> Any:
    """A transformers ``TrainerCallback`` that ends training after ``seconds`` of steps."""
    from transformers import TrainerCallback

    class TimeLimit(TrainerCallback):
        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.started = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if time.perf_counter() - self.started > seconds:
                control.should_training_stop = True

    return TimeLimit()


def _quiet(trainer: Any) -> None:
    """Drop transformers' printed log dicts: the rich bar shows progress and loss instead."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)


@contextlib.contextmanager
def _known_deprecations() -> Iterator[None]:
    """Hide transformers 5's renames that trl and peft still call (not the user's to fix)."""
    with warnings.catch_warnings():
        for old in ("is_gradient_checkpointing", "gradient_checkpointing"):
            warnings.filterwarnings("ignore", f"`{old}` is deprecated", FutureWarning)
        yield


def _losses(log_history: list[dict[str, Any]]) -> list[tuple[int, float]]:
    """``(step, loss)`` pairs from a transformers log history."""
    return [(int(e["step"]), float(e["loss"])) for e in log_history if "loss" in e]


def _write_logs(output_dir: Path, log_history: list[dict[str, Any]]) -> dict[str, float]:
    """Write ``train_log.json`` and ``loss.png``; return summary metrics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = _losses(log_history)
    medcards.atomic_write_text(output_dir / "train_log.json", json.dumps(log_history, indent=1))
    metrics: dict[str, float] = {}
    if losses:
        metrics["loss_first"] = losses[0][1]
        metrics["loss_last"] = losses[-1][1]
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot([s for s, _ in losses], [v for _, v in losses], marker=".")
        ax.set_xlabel("paso")
        ax.set_ylabel("pérdida (entropía cruzada)")
        ax.set_title("Ajuste fino SFT")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(output_dir / "loss.png", dpi=100)
        plt.close(fig)
    return metrics


def _sft_config(
    options: LoraOptions, output_dir: Path, cuda: bool, *, optim: str = "adamw_torch"
) -> Any:
    """The trl ``SFTConfig`` for ``options`` (fp32 on CPU, bf16/fp16 on CUDA)."""
    import torch
    from trl import SFTConfig

    bf16 = cuda and torch.cuda.is_bf16_supported()
    return SFTConfig(
        output_dir=str(output_dir / "checkpoints"),
        per_device_train_batch_size=options.per_device_train_batch_size,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        warmup_steps=options.warmup_steps,
        max_steps=options.max_steps,
        learning_rate=options.learning_rate,
        weight_decay=options.weight_decay,
        lr_scheduler_type=options.lr_scheduler_type,
        optim=optim,
        seed=options.seed,
        data_seed=options.seed,
        logging_steps=options.logging_steps,
        max_length=options.max_length,
        dataset_text_field="text",
        completion_only_loss=options.loss_on == "completion",
        gradient_checkpointing=options.gradient_checkpointing,
        packing=False,
        bf16=bf16,
        fp16=cuda and not bf16,
        use_cpu=not cuda,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=cuda,
    )


def _text_dataset(dataset: Path, tokenizer: Any, loss_on: str = "all") -> Any:
    """A ``datasets.Dataset`` rendered by the base tokenizer's chat template.

    One ``text`` column for ``loss_on="all"``; ``prompt`` and ``completion`` columns (the same
    text cut after the assistant's generation prompt) for ``loss_on="completion"``.
    """
    from datasets import Dataset

    from medcards_finetune.dataset import load_examples, render_text, split_prompt

    examples = load_examples(dataset)
    texts = [render_text(e["messages"], tokenizer) for e in examples]
    if loss_on != "completion":
        return Dataset.from_dict({"text": texts})
    pairs = [
        split_prompt(e["messages"], text, tokenizer)
        for e, text in zip(examples, texts, strict=True)
    ]
    return Dataset.from_dict({"prompt": [p for p, _ in pairs], "completion": [c for _, c in pairs]})


def merge_adapter(adapter_dir: Path, out_dir: Path, *, base_model: Path | None = None) -> Path:
    """Merge a LoRA adapter into its base model and save a Hugging Face directory (safetensors).

    Args:
        adapter_dir: A peft adapter directory (``adapter_config.json``).
        out_dir: Where to write the merged model and tokenizer.
        base_model: The base model dir; defaults to the adapter's ``base_model_name_or_path``.

    Raises:
        FinetuneError: when the adapter or its base model cannot be found.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config_path = adapter_dir / "adapter_config.json"
    if not config_path.is_file():
        raise FinetuneError(f"{adapter_dir}: not a LoRA adapter (no adapter_config.json)")
    if base_model is None:
        recorded = json.loads(config_path.read_text(encoding="utf-8")).get(
            "base_model_name_or_path"
        )
        if not recorded or not Path(recorded).is_dir():
            raise FinetuneError(
                f"{config_path}: base model {recorded!r} is not a local directory; pass base_model"
            )
        base_model = Path(recorded)
    model = AutoModelForCausalLM.from_pretrained(str(base_model), dtype=torch.float32)
    with _known_deprecations():
        merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    out_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(out_dir), safe_serialization=True)
    tokenizer_src = adapter_dir if (adapter_dir / "tokenizer_config.json").is_file() else base_model
    AutoTokenizer.from_pretrained(str(tokenizer_src)).save_pretrained(str(out_dir))
    return out_dir


class PeftTrainer(medcards.Trainer):
    """LoRA SFT with transformers + peft + trl's ``SFTTrainer``; CPU (fp32) or CUDA (bf16/fp16).

    ``dataset`` is a prepared JSONL (``medcards finetune prepare``) or a raw seed file; the base
    model is a local Hugging Face causal-LM directory with a chat template, a ``.gguf`` file
    (dequantized to fp32 through transformers, see
    :func:`~medcards_finetune.base_models.resolve_base_model`), or the name of a packaged base
    model (``smollm2-135m-instruct``, ``gemma3-270m``).
    """

    name: ClassVar[str] = "peft"
    requires_cuda: ClassVar[bool] = False

    class Options(LoraOptions):
        """Options of the peft trainer (the seed's defaults)."""

        device: Literal["auto", "cpu", "cuda"] = Field(
            default="auto", description="auto: CUDA when available, else CPU."
        )

    options: Options

    def train(self, dataset: Path, base_model: Path, output_dir: Path) -> medcards.TrainResult:
        """Fine-tune ``base_model`` on ``dataset``; write adapter/, merged/, logs in ``output_dir``.

        Returns:
            The merged model directory (or the adapter's when ``merge`` is off) and metrics:
            ``loss_first``, ``loss_last``, ``train_loss`` (mean, nats/token), ``steps``,
            ``train_seconds``, ``examples``.

        Raises:
            FinetuneError: a missing or unreadable base model, no usable rows, CUDA requested
                but absent.
        """
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
        from trl import SFTTrainer

        from medcards_finetune.base_models import resolve_base_model

        opts = self.options
        base_model = resolve_base_model(base_model, cache_dir=opts.model_cache)
        cuda = _cuda_available() if opts.device == "auto" else opts.device == "cuda"
        if cuda and not _cuda_available():
            raise CudaUnavailableError("device='cuda' but torch sees no CUDA device")
        set_seed(opts.seed)
        tokenizer = AutoTokenizer.from_pretrained(str(base_model))
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        train_set = _text_dataset(dataset, tokenizer, opts.loss_on)
        dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
        model = AutoModelForCausalLM.from_pretrained(str(base_model), dtype=dtype)
        lora = LoraConfig(
            r=opts.r,
            lora_alpha=opts.lora_alpha,
            lora_dropout=opts.lora_dropout,
            target_modules=list(opts.target_modules),
            use_rslora=opts.use_rslora,
            bias="none",
            task_type="CAUSAL_LM",
        )
        with _known_deprecations():
            model = get_peft_model(model, lora)
        with _known_deprecations():
            args = _sft_config(opts, output_dir, cuda)
        final, metrics = _run_sft(SFTTrainer, model, tokenizer, args, train_set, opts, output_dir)
        if opts.merge:
            merged = model.merge_and_unload()
            final = output_dir / "merged"
            merged.save_pretrained(str(final), safe_serialization=True)
            tokenizer.save_pretrained(str(final))
        return medcards.TrainResult(output_dir=final, metrics=metrics)


class UnslothTrainer(medcards.Trainer):
    """The seed's recipe on unsloth's ``FastLanguageModel`` (4-bit base, LoRA); needs CUDA.

    Install with ``pip install 'medcards-finetune[unsloth]'`` on a CUDA machine. unsloth is
    imported only inside :meth:`train`, after a CUDA device was found.
    """

    name: ClassVar[str] = "unsloth"
    requires_cuda: ClassVar[bool] = True

    class Options(LoraOptions):
        """Options of the unsloth trainer (the seed's defaults)."""

        load_in_4bit: bool = Field(default=True, description="Load the base model in 4 bits.")
        optim: str = Field(default="adamw_8bit", description="Optimizer (bitsandbytes 8-bit).")

    options: Options

    def train(self, dataset: Path, base_model: Path, output_dir: Path) -> medcards.TrainResult:
        """Fine-tune with unsloth on the CUDA device; same outputs as the ``peft`` trainer.

        Raises:
            CudaUnavailableError: without a CUDA device (use the ``peft`` trainer there).
            FinetuneError: when unsloth is not installed.
        """
        if not _cuda_available():
            raise CudaUnavailableError(
                "the 'unsloth' trainer needs a CUDA GPU and none was found; on this machine use "
                "the 'peft' trainer (medcards finetune train --trainer peft), which runs on CPU"
            )
        try:
            from unsloth import FastLanguageModel  # must precede transformers/trl (it patches them)
        except ImportError as exc:
            raise FinetuneError(
                f"the 'unsloth' trainer needs unsloth ({exc}); install it on the CUDA machine "
                "with: pip install 'medcards-finetune[unsloth]'"
            ) from None
        from trl import SFTTrainer

        from medcards_finetune.base_models import resolve_base_model

        opts = self.options
        base_model = resolve_base_model(base_model, cache_dir=opts.model_cache)
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name=str(base_model),
            max_seq_length=opts.max_length,
            dtype=None,
            load_in_4bit=opts.load_in_4bit,
        )
        model = FastLanguageModel.get_peft_model(
            model,
            r=opts.r,
            target_modules=list(opts.target_modules),
            lora_alpha=opts.lora_alpha,
            lora_dropout=opts.lora_dropout,
            bias="none",
            use_gradient_checkpointing="unsloth",
            random_state=opts.seed,
            use_rslora=opts.use_rslora,
            loftq_config=None,
        )
        train_set = _text_dataset(dataset, tokenizer, opts.loss_on)
        with _known_deprecations():
            args = _sft_config(opts, output_dir, cuda=True, optim=opts.optim)
        final, metrics = _run_sft(SFTTrainer, model, tokenizer, args, train_set, opts, output_dir)
        if opts.merge:
            final = output_dir / "merged"
            model.save_pretrained_merged(str(final), tokenizer, save_method="merged_16bit")
        return medcards.TrainResult(output_dir=final, metrics=metrics)


def _run_sft(
    sft_trainer: Any,
    model: Any,
    tokenizer: Any,
    args: Any,
    train_set: Any,
    opts: LoraOptions,
    output_dir: Path,
) -> tuple[Path, dict[str, float]]:
    """Run trl's SFT loop, save the adapter, and return its folder and the training metrics.

    ``sft_trainer`` is trl's ``SFTTrainer`` class, imported by the caller (unsloth must patch
    trl before it is imported).
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    with _known_deprecations():
        trainer = sft_trainer(
            model=model,
            args=args,
            train_dataset=train_set,
            processing_class=tokenizer,
            callbacks=[
                _progress_callback(opts.max_steps, opts.progress),
                *([_time_limit_callback(opts.time_limit_s)] if opts.time_limit_s else []),
            ],
        )
        _quiet(trainer)
        started = time.perf_counter()
        result = trainer.train()
    seconds = time.perf_counter() - started
    adapter_dir = output_dir / "adapter"
    model.save_pretrained(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    metrics = _write_logs(output_dir, trainer.state.log_history)
    metrics.update(
        train_loss=float(result.training_loss),
        steps=float(trainer.state.global_step),
        train_seconds=seconds,
        examples=float(len(train_set)),
    )
    return adapter_dir, metrics
