"""A sentence-transformers model run by ONNX Runtime with dynamic int8 weights.

Prepared once from the model's own folder and kept under the model cache
(nothing is downloaded): the transformer is exported to ONNX with eager
attention (that graph is what ONNX Runtime's BERT optimiser recognises and fuses
into its Attention, SkipLayerNormalization and BiasGelu kernels), fused at the
portable level only (no CPU-specific kernels baked in, so a cache copied to
another machine still runs), then quantised dynamically: int8 weights per output
channel, activations quantised per call.  `reduce_range` keeps weights to 7 bits,
which ONNX Runtime documents as the remedy for the saturation of its u8×s8
kernels on x86-64 CPUs without VNNI (AVX2-only EPYC or Xeon); it cost under 0.001
of cosine to fp32 on the bench's offer texts (min 0.9958 against 0.9965).

Texts are tokenised once, sorted by token count and encoded in small batches
of similar length, so little padding is computed; the rows come back in the
callers' order.  Pooling is the mean over the attention mask, as the model's
sentence-transformers Pooling module does it (other poolings are refused).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "onnx-int8-1"
"""Changes whenever the export, fusion or quantisation recipe changes (re-prepares)."""
BATCH = 8
"""Texts per ONNX Runtime call: with the texts sorted by length, small batches pad least
and a concurrent request waits at most one short call for a core (on the bench's offer
texts: 48 ms of CPU per text at 8, 54 at 16, 57 at 32)."""
MODEL_FILE = "model.onnx"


def _transformer_dir(model_dir: Path) -> Path:
    """The folder of the model's Transformer module (modules.json), where config.json is."""
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    for module in modules:
        if module["type"].endswith("Transformer"):
            return model_dir / module["path"]
    raise ValueError(f"{model_dir}: no Transformer module in modules.json")


def _check_mean_pooling(model_dir: Path) -> None:
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    for module in modules:
        if module["type"].endswith("Pooling"):
            config = json.loads((model_dir / module["path"] / "config.json").read_text())
            mode = config.get("pooling_mode") or (
                "mean" if config.get("pooling_mode_mean_tokens") else "other"
            )
            if mode != "mean":
                raise ValueError(f"{model_dir}: onnx-int8 supports mean pooling only, not {mode}")
            return
    raise ValueError(f"{model_dir}: no Pooling module in modules.json")


def prepared_dir(model_dir: Path, cache_dir: Path) -> Path:
    """Where the prepared model of `model_dir` is kept: per model folder (its name and a digest
    of its path, so two folders of one name never share), recipe and runtime version (an
    upgrade of ONNX Runtime prepares again)."""
    import onnxruntime

    folder = Path(model_dir).resolve()
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:10]
    return Path(cache_dir) / f"{folder.name}-{digest}-{FORMAT}-ort{onnxruntime.__version__}"


def prepare(model_dir: Path, cache_dir: Path) -> Path:
    """Export, fuse and quantise the model unless done; the prepared folder (see module doc).

    Written to a temporary folder first and moved into place, so a second process
    preparing at the same time, or one stopped half way, never leaves a broken model.
    """
    model_dir = Path(model_dir)
    target = prepared_dir(model_dir, cache_dir)
    if (target / MODEL_FILE).exists():
        return target
    _check_mean_pooling(model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _export_fuse_quantise(_transformer_dir(model_dir), work)
        try:
            os.replace(work, target)
        except OSError:  # prepared meanwhile by another process: keep theirs
            if not (target / MODEL_FILE).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _export_fuse_quantise(transformer_dir: Path, work: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel, AutoTokenizer

    from matcher.encoders.quiet import quiet_model_loading

    with quiet_model_loading():
        model = AutoModel.from_pretrained(
            str(transformer_dir), attn_implementation="eager", local_files_only=True
        ).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(transformer_dir), local_files_only=True)
    sample = tokenizer(["passage: 示例文本 example", "query: x"], padding=True, return_tensors="pt")

    class LastHidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    exported, fused = work / "exported.onnx", work / "fused.onnx"
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
        torch.onnx.export(
            LastHidden(model),
            (sample["input_ids"], sample["attention_mask"]),
            str(exported),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,
        )
    config = model.config
    graph = optimizer.optimize_model(
        str(exported),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
        opt_level=0,  # the Python fusions only: nothing tied to this machine's CPU
    )
    graph.save_model_to_file(str(fused))
    exported.unlink()
    quantize_dynamic(
        str(fused),
        str(work / MODEL_FILE),
        per_channel=True,
        reduce_range=True,
        weight_type=QuantType.QInt8,
        extra_options={"DefaultTensorType": 1},  # float, for the fused ops' outputs
    )
    fused.unlink()
    tokenizer.save_pretrained(str(work))
    limit = min(int(config.max_position_embeddings), int(tokenizer.model_max_length))
    (work / "encoder.json").write_text(
        json.dumps({"max_seq_length": _max_seq_length(transformer_dir, limit)}), encoding="utf-8"
    )


def _max_seq_length(transformer_dir: Path, limit: int) -> int:
    """sentence_bert_config.json's max_seq_length, else the model's limit (as sentence-
    transformers decides it)."""
    path = transformer_dir / "sentence_bert_config.json"
    if path.exists():
        value = json.loads(path.read_text(encoding="utf-8")).get("max_seq_length")
        if value:
            return min(int(value), limit)
    return limit


def _prompts(model_dir: Path) -> dict[str, str]:
    path = model_dir / "config_sentence_transformers.json"
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("prompts") or {})


class OnnxInt8Encoder:
    """The Encoder protocol over a prepared ONNX Runtime model (see the module docstring)."""

    def __init__(self, model_dir: Path, cache_dir: Path, name: str, backend: str) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        from matcher.encoders.quiet import quiet_model_loading

        folder = prepare(Path(model_dir), Path(cache_dir))
        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        # Threads that spin while waiting for work take the cores from the requests and
        # the other processes sharing them; sleeping ones cost a little latency per call.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        with quiet_model_loading():
            self._tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        settings = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
        self._max_length = int(settings["max_seq_length"])
        self._prompts = _prompts(Path(model_dir))
        self._pad = int(self._tokenizer.pad_token_id or 0)
        self._dim = int(self._session.get_outputs()[0].shape[-1])
        self.name = name
        self.backend = backend

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), np.float32)
        prompt = self._prompts.get(prompt_name, "")
        ids = self._tokenizer(
            [prompt + t for t in texts], truncation=True, max_length=self._max_length
        )["input_ids"]
        order = np.argsort([-len(row) for row in ids], kind="stable")
        out = np.zeros((len(ids), self._dim), np.float32)
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            out[rows] = self._pooled([ids[j] for j in rows])
        return out

    def _pooled(self, rows: list[list[int]]) -> np.ndarray:
        """Mean over the tokens of each row (padding excluded), scaled to unit length."""
        width = max(len(r) for r in rows)
        input_ids = np.full((len(rows), width), self._pad, np.int64)
        mask = np.zeros((len(rows), width), np.int64)
        for i, r in enumerate(rows):
            input_ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        hidden = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        summed = np.einsum("bt,btd->bd", mask.astype(np.float32), hidden)
        mean = summed / mask.sum(axis=1, keepdims=True)
        return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
