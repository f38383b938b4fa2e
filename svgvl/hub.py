"""Where a model's files come from: a local folder or a Hugging Face hub id.

Every model and metric that takes "a hub id or a folder" (the text encoder, the StarVector model
and its parts, the DINOv2 and tokenizer metrics) resolves the name here, so that all of them
agree: a folder is read as it is, a name that looks like a path but is no folder fails at once,
and under ``HF_HUB_OFFLINE`` a hub id is read from the local cache only, with an error that says
what to pass instead.  Callers wrap these errors in their own types (a metric's error names its
option).  Only the standard library is imported at the top: ``svgvl.metrics`` imports this
module and must not import torch.
"""

from __future__ import annotations

import os


class NoSuchFolder(FileNotFoundError):
    """A name that can only be a local path (``./x``, ``/x``, ``a/b/c``) names no folder."""


def offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` keeps the hub out: hub ids come from the local cache."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def looks_like_path(name: str) -> bool:
    """A hub id is ``name`` or ``owner/name``; anything else is meant as a local path."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or os.path.exists(name)


def locate(name) -> tuple[str, bool]:
    """``(name, local_files_only)`` to pass to ``from_pretrained``: a folder is read locally, a
    hub id from the local cache only when offline; :class:`NoSuchFolder` for a missing path."""
    name = os.fspath(name)
    if os.path.isdir(name):
        return name, True
    if looks_like_path(name):
        raise NoSuchFolder(f"{name}: no such folder")
    return name, offline()


def from_pretrained(factory, name, **kwargs):
    """``factory.from_pretrained`` on a folder or hub id, as :func:`locate` resolves it."""
    source, local = locate(name)
    return factory.from_pretrained(source, local_files_only=local, **kwargs)


def unavailable(name: str, error: BaseException | None = None) -> str:
    """Why a hub id could not be had, and what to pass instead."""
    if offline():
        return (
            f"{name}: not in the local Hugging Face cache and HF_HUB_OFFLINE is set; download it "
            f"first (huggingface-cli download {name}) or pass a local folder"
        )
    reason = f" ({type(error).__name__}: {str(error).splitlines()[0][:200]})" if error else ""
    return f"{name}: could not get the model from the Hugging Face hub{reason}; pass a local folder"


def snapshot(name, patterns) -> str:
    """A local folder holding the model: ``name`` itself, or the hub id's snapshot of the files
    matching ``patterns`` (from the local cache when offline); OSError saying what to pass."""
    source, _ = locate(name)
    if os.path.isdir(source):
        return source
    from huggingface_hub import snapshot_download  # only when a hub id is asked for

    try:
        return snapshot_download(source, allow_patterns=list(patterns))
    except Exception as error:  # noqa: BLE001 - hub errors have many types; the message says what
        raise OSError(unavailable(source, error)) from None


def read_state_dict(file: str) -> dict:
    """The tensors of one weights file: ``.safetensors``, or a torch file read with
    ``weights_only`` (a ``{"state_dict": ...}`` wrapper is opened).  TypeError when the file
    holds something else."""
    if file.endswith(".safetensors"):
        from safetensors.torch import load_file  # torch only when weights are read

        return load_file(file)
    import torch

    state = torch.load(file, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise TypeError(f"holds a {type(state).__name__}, not a state dict")
    return state
