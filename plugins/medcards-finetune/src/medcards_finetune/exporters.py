"""The ``gguf`` exporter: a merged (or adapter) model directory -> GGUF f16 / q8_0 / q4_k_m."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import ClassVar

from pydantic import Field

import medcards
from medcards_finetune.gguf_export import Quantization


class GgufExporter(medcards.ModelExporter):
    """Converts a Llama-family Hugging Face directory to GGUF and quantizes it with llama.cpp.

    A LoRA adapter directory is merged into its base model first. The output carries the
    tokenizer, the chat template and the end-of-turn token, so the ``llamacpp`` backend (and
    LM Studio) can serve it as it is; an Ollama ``Modelfile`` is written beside it
    (:func:`~medcards_finetune.modelfile.write_modelfile`).
    """

    name: ClassVar[str] = "gguf"

    class Options(medcards.ModelExporter.Options):
        """Options of the GGUF exporter."""

        quantization: Quantization = Field(
            default="q4_k_m", description="f16 (plain conversion), q8_0 or q4_k_m (the seed's)."
        )
        keep_f16: bool = Field(
            default=False, description="Also keep the f16 GGUF next to a quantized output."
        )
        threads: int = Field(default=0, ge=0, description="Quantization threads (0: all cores).")
        model_name: str | None = Field(default=None, description="general.name in the GGUF.")
        modelfile: bool = Field(
            default=True,
            description="Also write an Ollama Modelfile (<stem>.Modelfile) beside the GGUF: "
            "FROM, the chat template as a Go TEMPLATE, stop tokens, temperature 0.1.",
        )

    options: Options

    def export(self, model_dir: Path, out_path: Path) -> medcards.ModelExportResult:
        """Write ``model_dir`` as a GGUF file at ``out_path``.

        Raises:
            ExportError: not Llama-family, missing weights/tokenizer, llama.cpp failure, or
                (with ``modelfile``) a chat template the Go translation cannot reproduce.
        """
        from medcards_finetune.gguf_export import (
            convert_to_gguf,
            ensure_llama_family,
            quantize_gguf,
        )
        from medcards_finetune.modelfile import build_modelfile
        from medcards_finetune.trainers import merge_adapter

        opts = self.options
        with tempfile.TemporaryDirectory(prefix="medcards-export-") as scratch:
            source = model_dir
            if (model_dir / "adapter_config.json").is_file():
                source = merge_adapter(model_dir, Path(scratch) / "merged")
            name = opts.model_name or model_dir.name
            ensure_llama_family(source)
            modelfile_path = out_path.with_name(f"{out_path.stem}.Modelfile")
            # Translated before converting, so a template Ollama cannot take fails fast.
            modelfile = (
                build_modelfile(source, out_path, modelfile_path) if opts.modelfile else None
            )
            if opts.quantization == "f16":
                convert_to_gguf(source, out_path, name=name)
            else:
                f16_path = (
                    out_path.with_name(f"{out_path.stem}.f16.gguf")
                    if opts.keep_f16
                    else Path(scratch) / "model.f16.gguf"
                )
                convert_to_gguf(source, f16_path, name=name)
                quantize_gguf(f16_path, out_path, opts.quantization, threads=opts.threads)
        if modelfile is not None:
            medcards.atomic_write_text(modelfile_path, modelfile.text())
        return medcards.ModelExportResult(
            path=out_path, format=f"gguf-{opts.quantization}", size_bytes=out_path.stat().st_size
        )
