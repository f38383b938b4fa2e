"""Unit vectors for texts and drawings in one space: ``embed_texts`` and ``embed_images``.

    import svgvl
    texts = svgvl.embed_texts(["rocket", "a cat"])            # N×256 float32, unit rows
    images = svgvl.embed_images(["icon.svg", "logo.png"])      # SVG text/bytes/paths, images
    scores = images @ texts.T                                  # cosine similarity

The model is the shipped one (``svgvl/models/weights/embed``) unless ``model=`` names a folder
(a training run's ``model/``) or a hub id.  An SVG is rendered on white at the model's input
size; a raster image is composited on white, padded to a square and resized, so a PNG of an
icon and its SVG land close together.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

from .. import hub

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "weights" / "embed"
MAX_QUERY_TOKENS = 128
TRAIN_HINT = (
    "train one with `svgvl train embed --config examples/configs/embed-cpu.yaml --data ... "
    "--out RUN` and pass RUN/model"
)


class EmbedError(ValueError):
    """A query, image or model the embedding model cannot take."""


def image_pixels(item, size: int) -> np.ndarray:
    """One drawing as the model sees it: size×size×3 float32 in [0, 1] on white.

    ``item``: SVG text, bytes or a ``.svg``/``.svgz`` path (rendered with the reference
    renderer), or anything :func:`svgvl.load_image` reads (path, bytes, PIL image, array)."""
    from ..metrics.comparison import is_svg

    if is_svg(item):
        from ..render import rasterize

        pixels = rasterize(item, size, background="white", timeout=10)
        return pixels.astype(np.float32) / 255
    from PIL import Image

    from ..images import load_image

    rgb = load_image(item, background="white")
    h, w = rgb.shape[:2]
    side = max(h, w)
    square = np.full((side, side, 3), 255, np.uint8)
    square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = rgb
    resized = Image.fromarray(square).resize((size, size), Image.Resampling.BOX)
    return np.asarray(resized, np.float32) / 255


class Embedder:
    """The embedding model and its frozen text encoder, ready to embed (CPU or ``device``)."""

    def __init__(self, name=None, device: str = "cpu"):
        import torch

        from ..models.embedder import SvgTextEmbedder, is_embedder_folder
        from ..models.text import load_text_encoder, quiet_loading

        if name is None:
            if not (SHIPPED / "config.json").is_file():
                raise FileNotFoundError(
                    f"no shipped embedding model ({SHIPPED} is missing): {TRAIN_HINT}"
                )
            name = SHIPPED
        folder = Path(name)
        if (
            folder.is_dir()
            and not is_embedder_folder(folder)
            and is_embedder_folder(folder / "model")
        ):
            folder = folder / "model"  # a training run's folder
        if folder.is_dir() and not is_embedder_folder(folder):
            raise EmbedError(f"{name}: not an svgvl embedding model (no config.json of that kind)")
        try:
            with quiet_loading():
                self.model = hub.from_pretrained(
                    SvgTextEmbedder, str(folder) if folder.is_dir() else name
                )
        except hub.NoSuchFolder:
            raise FileNotFoundError(f"{name}: no such embedding model folder") from None
        except OSError as error:
            raise OSError(hub.unavailable(str(name), error)) from None
        # float32 to compute, whatever the file holds (the GPU job writes bf16 shards)
        self.model.float().eval().requires_grad_(False).to(device)
        self.device = device
        self.size = self.model.config.image_size
        self.text = load_text_encoder(self.model.config.text_encoder)
        self._torch = torch
        self.name = str(name)
        self.folder = str(folder) if folder.is_dir() else self.model.name_or_path

    @functools.cached_property
    def version(self) -> str:
        """A digest of the weights: an index built by another model is rebuilt."""
        digest = hashlib.sha256()
        for tensor in self.model.state_dict().values():
            digest.update(tensor.detach().cpu().numpy().tobytes())
        return digest.hexdigest()[:16]

    @property
    def dim(self) -> int:
        return int(self.model.config.embed_dim)

    def embed_texts(self, texts) -> np.ndarray:
        """N×dim unit float32 rows; an empty text or one over 128 tokens is an EmbedError."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        for text in texts:
            if not str(text).strip():
                raise EmbedError("empty text: say what to look for")
            tokens = self.text.count_tokens(str(text))
            if tokens > MAX_QUERY_TOKENS:
                raise EmbedError(
                    f"text too long ({tokens} tokens; at most {MAX_QUERY_TOKENS}): {str(text)[:40]}..."
                )
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self._torch.from_numpy(self.text.sentences(texts, MAX_QUERY_TOKENS))
        with self._torch.no_grad():
            out = self.model.text_features(vectors.to(self.device))
        return out.cpu().numpy().astype(np.float32)

    def embed_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """N×S×S×3 float pixels in [0, 1] (:func:`image_pixels`) → N×dim unit rows."""
        if not len(pixels):
            return np.zeros((0, self.dim), np.float32)
        batch = self._torch.from_numpy(np.ascontiguousarray(pixels, np.float32)).permute(0, 3, 1, 2)
        with self._torch.no_grad():
            out = [self.model.image_features(part.to(self.device)) for part in batch.split(256)]
        return self._torch.cat(out).cpu().numpy().astype(np.float32)

    def embed_images(self, items) -> np.ndarray:
        """N×dim unit rows for SVGs and images (see :func:`image_pixels`)."""
        items = list(items) if isinstance(items, list | tuple) else [items]
        return self.embed_pixels(
            np.stack([image_pixels(i, self.size) for i in items]) if items else []
        )


VOCABULARY = "vocabulary.safetensors"  # beside a model's weights: labels for describe's summary


def build_vocabulary(embedder: Embedder, labels, folder) -> None:
    """Save ``labels`` with their vectors (float16) as ``folder/vocabulary.safetensors`` (the
    labels in its metadata): what :func:`top_labels` chooses from, embedded once."""
    import json

    from safetensors.numpy import save_file

    labels = sorted(set(labels))
    vectors = label_vectors(embedder, labels).astype(np.float16)
    save_file(
        {"vectors": vectors},
        str(Path(folder) / VOCABULARY),
        metadata={"labels": json.dumps(labels), "model": embedder.version},
    )


def label_vectors(embedder: Embedder, labels) -> np.ndarray:
    """One unit vector per label: the mean of its prompts (``{}``, ``a {} icon``, ``an icon of
    {}``), renormalised — zero-shot labels read better through a few phrasings."""
    prompts = ("{}", "a {} icon", "an icon of {}")
    texts = [p.format(label) for label in labels for p in prompts]
    vectors = embedder.embed_texts(texts).reshape(len(labels), len(prompts), -1).mean(1)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def top_labels(item, k: int = 3, model=None) -> list[tuple[str, float]]:
    """The ``k`` labels of the model's vocabulary most like ``item`` (an SVG or image), with
    their cosines; [] when the model has no vocabulary."""
    import json

    from safetensors import safe_open

    embedder = load_embedder(model)
    path = Path(embedder.folder) / VOCABULARY
    if not path.is_file():
        return []
    with safe_open(str(path), "np") as handle:
        labels = json.loads(handle.metadata()["labels"])
        vectors = handle.get_tensor("vectors").astype(np.float32)
    scores = vectors @ embedder.embed_images([item])[0]
    best = np.argsort(-scores)[:k]
    return [(labels[i], float(scores[i])) for i in best]


@functools.lru_cache(maxsize=2)
def load_embedder(name=None) -> Embedder:
    """The (cached) embedding model: ``None`` the shipped one, else a folder or hub id."""
    return Embedder(None if name is None else str(name))


def embed_texts(texts, model=None) -> np.ndarray:
    """Unit vectors (N×dim float32) of ``texts`` (a string or a list) in the shared space."""
    return load_embedder(model).embed_texts(texts)


def embed_images(items, model=None) -> np.ndarray:
    """Unit vectors (N×dim float32) of SVGs (text, bytes, paths) and raster images."""
    return load_embedder(model).embed_images(items)
