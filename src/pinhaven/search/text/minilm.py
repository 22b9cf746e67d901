"""all-MiniLM-L6-v2 in NumPy: the sentence-transformers pipeline (BERT encoder, mean pooling, L2 norm) without torch.

Why not torch: the model is a 6-layer, 384-wide BERT; NumPy runs it at the same speed for our short texts while
the default install stays under a gigabyte (torch alone is 0.75 GB on disk and ~300 MB of RSS per process).
The weights are memory-mapped straight from the packaged `model.safetensors`, so every process on a host shares
one copy in the page cache instead of holding its own. Tokenisation is Hugging Face's `tokenizers` (the Rust
tokenizer sentence-transformers uses), so ids are identical. `tests/search/test_minilm.py` checks the vectors
against sentence-transformers when it is installed, and against recorded reference vectors always.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.special import erf
from tokenizers import Tokenizer

MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length
_DTYPES = {"F32": np.float32, "I64": np.int64}


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Read-only arrays over a memory map of a .safetensors file (8-byte header size, JSON header, raw data)."""
    with path.open("rb") as handle:
        header_size = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(header_size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_size)
    arrays: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        arrays[name] = data[start:end].view(_DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return arrays


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU."""
    return 0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0))))


class _Dense:
    """y = x·Wᵀ + b, with Wᵀ a view (no copy) of the mapped weight."""

    def __init__(self, weights: dict[str, np.ndarray], prefix: str) -> None:
        self.weight_t = weights[f"{prefix}.weight"].T
        self.bias = weights[f"{prefix}.bias"]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        # As a 2-D product: NumPy hands that to BLAS (with the transposed view as is); a stacked 3-D product
        # with a transposed operand takes NumPy's own loop, ~100x slower.
        flat = np.asarray(x).reshape(-1, x.shape[-1])
        return (flat @ self.weight_t + self.bias).reshape(*x.shape[:-1], -1)


class _Layer:
    def __init__(self, weights: dict[str, np.ndarray], prefix: str, heads: int, eps: float) -> None:
        self.query = _Dense(weights, f"{prefix}.attention.self.query")
        self.key = _Dense(weights, f"{prefix}.attention.self.key")
        self.value = _Dense(weights, f"{prefix}.attention.self.value")
        self.attention_out = _Dense(weights, f"{prefix}.attention.output.dense")
        self.attention_norm = (
            weights[f"{prefix}.attention.output.LayerNorm.weight"],
            weights[f"{prefix}.attention.output.LayerNorm.bias"],
        )
        self.intermediate = _Dense(weights, f"{prefix}.intermediate.dense")
        self.output = _Dense(weights, f"{prefix}.output.dense")
        self.output_norm = (
            weights[f"{prefix}.output.LayerNorm.weight"],
            weights[f"{prefix}.output.LayerNorm.bias"],
        )
        self.heads = heads
        self.eps = eps

    def __call__(self, x: np.ndarray, additive_mask: np.ndarray) -> np.ndarray:
        batch, length, width = x.shape
        head_width = width // self.heads

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, self.heads, head_width).transpose(0, 2, 1, 3)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = (q @ k.transpose(0, 1, 3, 2)) * np.float32(1.0 / np.sqrt(head_width)) + additive_mask
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _layer_norm(self.attention_out(context) + x, *self.attention_norm, self.eps)
        return _layer_norm(self.output(_gelu(self.intermediate(x))) + x, *self.output_norm, self.eps)


class MiniLM:
    """Sentence embeddings with sentence-transformers' `encode` signature (the subset Pinhaven calls)."""

    def __init__(self, model_dir: Path) -> None:
        config = json.loads((model_dir / "config.json").read_text())
        weights = load_safetensors(model_dir / "model.safetensors")
        self.eps = float(config["layer_norm_eps"])
        self.word = weights["embeddings.word_embeddings.weight"]
        self.position = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = [
            _Layer(weights, f"encoder.layer.{i}", int(config["num_attention_heads"]), self.eps)
            for i in range(int(config["num_hidden_layers"]))
        ]
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def encode(
        self,
        sentences: Sequence[str],
        *,
        batch_size: int = 64,
        normalize_embeddings: bool = True,
        convert_to_numpy: bool = True,
    ) -> np.ndarray:
        """One float32 row per sentence. Sentences are batched by length (as sentence-transformers does) so a
        long text does not pad a whole batch."""
        del convert_to_numpy  # always NumPy
        order = np.argsort([-len(s) for s in sentences], kind="stable")
        out = np.empty((len(sentences), self.word.shape[1]), dtype=np.float32)
        for start in range(0, len(sentences), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._encode_batch([sentences[i] for i in chosen])
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.maximum(norms, np.float32(1e-12))
        return out

    def _encode_batch(self, sentences: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(sentences)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        length = ids.shape[1]
        x = self.word[ids] + self.position[:length] + self.token_type
        x = _layer_norm(x, *self.embedding_norm, self.eps)
        additive_mask = ((mask - 1.0) * np.float32(1e9))[:, None, None, :]
        for layer in self.layers:
            x = layer(x, additive_mask)
        summed = np.einsum("blw,bl->bw", x, mask)
        return summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
