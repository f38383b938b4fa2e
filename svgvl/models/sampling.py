"""Grammar-constrained sampling from the text-to-icon model (:mod:`svgvl.models.iconshop`).

``generate`` and ``log_likelihood`` are the model's methods of those names (the class binds
these functions), kept here so that the model file holds the network alone:

    rows = model.generate(text="rocket", num_return_sequences=4, seed=0)   # B×L token ids
    scores = model.log_likelihood(sequences, states, mask, start)          # mean log-prob
    best = most_likely_first(model, rows, states, mask, start)             # best_of ranking

Every step masks the logits with the tokenizer's grammar (so every row decodes), keeps a KV
cache, drops finished rows from the batch, and optionally applies classifier-free guidance.
"""

from __future__ import annotations

import functools
import sys

import torch
import torch.nn.functional as F
from tqdm import tqdm
from transformers.modeling_outputs import CausalLMOutputWithPast

# The output field that carries the KV cache: recent transformers call it ``cache`` and warn on
# every use of the old name ``past_key_values``, which older releases (5.17, say) still need.
CACHE_FIELD = (
    "cache" if "cache" in CausalLMOutputWithPast.__dataclass_fields__ else "past_key_values"
)


@torch.no_grad()
def generate(
    model,
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
    seed: int | list[int] | None = None,
    constrained: bool = True,
    use_cache: bool = True,
    guidance_scale: float = 1.0,
    progress: bool = False,
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

    Several prompts (a list of sequences, or a 2-D tensor of several rows) under one text
    are sampled in one batch, ``num_return_sequences`` rows each, in order: the shorter ones
    are padded on the left.  ``seed`` may then be a list, one per prompt: each prompt's rows
    are drawn from their own generator, so they come out as if that prompt were sampled alone.

    ``guidance_scale`` > 1 is classifier-free guidance: each step also runs the rows on the
    empty text (which training shows the model at ``empty_text_rate``) and samples from
    ``uncond + scale * (cond - uncond)``, pushing the icon towards what the prompt adds; it
    doubles the work per step.  1 is plain conditional sampling.  ``progress``: a bar on
    stderr over the token steps (it disappears when done).
    """
    tok = model.path_tokenizer
    vocab, grammar = tok.vocab, tok.grammar
    prompts = [[tok.bos_id]] if input_ids is None else prompt_list(input_ids)
    prompt_states = [tok.prompt_state(prompt) for prompt in prompts]
    for state in prompt_states:
        if state[0] == "end" or state[1] == 1:
            raise ValueError(
                "the prompt is complete already"
                if state[0] == "end"
                else "a fill-in-the-middle prompt needs both <mask> tokens"
            )
    if num_return_sequences < 1:
        raise ValueError(f"num_return_sequences must be at least 1, got {num_return_sequences}")
    seeds = seed if isinstance(seed, (list, tuple)) else [seed] * len(prompts)
    if len(seeds) != len(prompts):
        raise ValueError(f"{len(seeds)} seeds for {len(prompts)} prompts: give one per prompt")
    if text_states is None:
        if text is None:
            raise ValueError("generate() needs text= (or text_states= and text_mask=)")
        text_states, text_mask = model.encode_text([text] if isinstance(text, str) else text)
    elif text_mask is None:
        text_mask = torch.ones(text_states.shape[:2], dtype=torch.bool)
    if len(prompts) > 1 and text_states.shape[0] != 1:
        raise ValueError("several prompts are sampled under one text, not several")
    if not guidance_scale >= 1:
        raise ValueError(f"guidance_scale must be at least 1, got {guidance_scale}")
    guided = guidance_scale != 1
    n = num_return_sequences * len(prompts)  # rows per text
    text_states = text_states.to(model.device).repeat_interleave(n, dim=0)
    text_mask = text_mask.to(model.device).repeat_interleave(n, dim=0)
    if guided:  # rows [B:] are the same icons under the empty text
        text_states, text_mask = with_empty_text(model, text_states, text_mask)
    limit = min(max_length or model.config.max_svg_tokens, model.config.max_svg_tokens)
    longest = max(map(len, prompts))
    if limit < longest + 2:
        raise ValueError(
            f"the prompt is {longest} tokens; max_length {limit} leaves no room to generate"
        )
    generators = []
    for value in seeds:
        generator = torch.Generator(device=model.device)
        generator.manual_seed(int(value) if value is not None else torch.seed())
        generators.append(generator)
    allowed_of = functools.lru_cache(maxsize=None)(
        lambda s: torch.from_numpy(grammar.allowed(s)).to(model.device)
    )
    ends = [vocab["<eos>"], vocab["<eom>"]]
    drawing = {vocab["L"], vocab["C"]}

    B = text_states.shape[0] // 2 if guided else text_states.shape[0]
    copies = 2 if guided else 1
    per_prompt = num_return_sequences
    group = [(b % n) // per_prompt for b in range(B)]  # the prompt each row continues
    rows = [list(prompts[g]) for g in group]
    states = [prompt_states[g] for g in group]
    end_ids = [vocab["<eom>"] if state[1] == 2 else vocab["<eos>"] for state in states]
    drawn = [False] * B  # an end only after some L or C: no empty icons
    closable = [
        len(row) if grammar.allowed(state)[end] else None
        for row, state, end in zip(rows, states, end_ids, strict=True)
    ]
    active = list(range(B))
    was_training = model.training
    model.eval()
    bar = tqdm(
        total=limit - min(map(len, prompts)),
        desc="sampling",
        unit="token",
        leave=False,
        file=sys.stderr,
        disable=not progress,
    )
    try:
        pads = [longest - len(row) for row in rows] * copies
        ids = torch.tensor(
            [[tok.pad_id] * pad + row for pad, row in zip(pads, rows * copies, strict=True)],
            device=model.device,
        )
        offsets = torch.tensor(pads, device=model.device)
        out = model(
            ids,
            attention_mask=torch.arange(longest, device=model.device)[None] >= offsets[:, None],
            text_states=text_states,
            text_mask=text_mask,
            use_cache=use_cache,
            cache_capacity=limit + max(pads),
            position_offsets=offsets if max(pads) else None,
        )
        cache = getattr(out, CACHE_FIELD)
        while active:
            bar.update()
            logits = out.logits[:, -1].float()
            if guided:
                cond, uncond = logits.chunk(2)
                logits = uncond + guidance_scale * (cond - uncond)
            if constrained:
                allowed = torch.stack([allowed_of(states[b]) for b in active])
                allowed[:, vocab["<mask>"]] = False  # masks come only from prompts
                for i, b in enumerate(active):
                    if len(rows[b]) == limit - 1 and allowed[i, end_ids[b]]:
                        allowed[i] = False  # the last place: close here
                        allowed[i, end_ids[b]] = True
                    elif not drawn[b]:
                        allowed[i, ends] = False
            else:
                allowed = torch.ones_like(logits, dtype=torch.bool)
            tokens = _sample_groups(
                logits, allowed, [group[b] for b in active], generators,
                temperature, top_p, do_sample,
            )  # fmt: skip
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
                        and grammar.allowed(states[b])[end_ids[b]]
                    ):
                        closable[b] = len(rows[b])  # <= limit - 1: room for the end
                else:
                    finished = token in ends
                if not finished and len(rows[b]) >= limit:
                    finished = True
                    if constrained and closable[b] is not None:
                        rows[b] = rows[b][: closable[b]] + [end_ids[b]]
                if not finished:
                    still.append(i)
            if not still:
                break
            if len(still) < len(active):
                keep = torch.tensor(still, device=model.device)
                if guided:
                    keep = torch.cat([keep, keep + len(active)])
                text_states, text_mask = text_states[keep], text_mask[keep]
                if cache is not None:
                    cache.select(keep)
                offsets = offsets[keep]
            active = [active[i] for i in still]
            if use_cache:
                step = [[rows[b][-1]] for b in active] * copies
                step = torch.tensor(step, device=model.device)
                out = model(step, past_key_values=cache, use_cache=True)
            else:
                full = [[tok.pad_id] * (longest - len(prompts[group[b]])) + rows[b] for b in active]
                full = torch.tensor(full * copies, device=model.device)
                out = model(
                    full,
                    attention_mask=torch.arange(full.shape[1], device=model.device)[None]
                    >= offsets[:, None],
                    text_states=text_states,
                    text_mask=text_mask,
                    position_offsets=offsets if max(pads) else None,
                )
    finally:
        bar.close()
        model.train(was_training)
    width = max(map(len, rows))
    result = torch.full((B, width), tok.pad_id, dtype=torch.long)
    for b, row in enumerate(rows):
        result[b, : len(row)] = torch.tensor(row)
    return result


def _sample_groups(logits, allowed, groups, generators, temperature, top_p, do_sample):
    """One token per row, each row's drawn from the generator of its prompt (``groups``), in
    row order within each generator, so that a prompt's rows do not depend on the others."""
    if len(generators) == 1:
        return sample_tokens(logits, allowed, temperature, top_p, do_sample, generators[0])
    groups = torch.tensor(groups)
    tokens = torch.empty(len(groups), dtype=torch.long, device=logits.device)
    for g in groups.unique().tolist():
        rows = torch.nonzero(groups == g)[:, 0].to(logits.device)
        tokens[rows] = sample_tokens(
            logits[rows], allowed[rows], temperature, top_p, do_sample, generators[g]
        )
    return tokens


@torch.no_grad()
def log_likelihood(model, sequences, text_states, text_mask, start: int = 1) -> torch.Tensor:
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
    ids = torch.full((len(sequences), width), model.path_tokenizer.pad_id, dtype=torch.long)
    for b, row in enumerate(sequences):
        ids[b, : len(row)] = torch.tensor(row)
    lengths = torch.tensor([len(row) for row in sequences])
    present = torch.arange(width)[None] < lengths[:, None]
    n = len(sequences)
    out = model(
        ids.to(model.device),
        attention_mask=present.to(model.device),
        text_states=text_states.to(model.device).expand(n, -1, -1),
        text_mask=text_mask.to(model.device).expand(n, -1),
    )
    log_probs = F.log_softmax(out.logits[:, :-1].float(), dim=-1)
    token_lp = log_probs.gather(-1, ids[:, 1:, None].to(model.device))[..., 0].cpu()
    scored = present[:, 1:] & (torch.arange(1, width)[None] >= start)
    return (token_lp * scored).sum(1) / scored.sum(1)


def scored_rows(model, rows: torch.Tensor, states, mask, start: int):
    """Generated rows cut after their end token, and the model's mean log-probability per token
    of each (``(sequences, scores)``, in sampling order)."""
    tok = model.path_tokenizer
    ends = {tok.vocab["<eos>"], tok.vocab["<eom>"]}
    sequences = []
    for row in rows.tolist():
        stop = next((i for i in range(start, len(row)) if row[i] in ends), len(row) - 1)
        sequences.append(row[: stop + 1])
    return sequences, model.log_likelihood(sequences, states, mask, start).tolist()


def most_likely_first(model, rows: torch.Tensor, states, mask, start: int) -> list[list[int]]:
    """Generated rows, cut after their end token, in order of the model's mean log-probability
    per token (ties keep sampling order)."""
    sequences, scores = scored_rows(model, rows, states, mask, start)
    order = sorted(range(len(sequences)), key=lambda i: -scores[i])
    return [sequences[i] for i in order]


def prompt_ids(ids) -> list[int]:
    if isinstance(ids, torch.Tensor):
        if ids.dim() == 2:
            if ids.shape[0] != 1:
                raise ValueError("generate() takes one prompt sequence, shared by every row")
            ids = ids[0]
        return [int(t) for t in ids.tolist()]
    return [int(t) for t in ids]


def prompt_list(ids) -> list[list[int]]:
    """The prompts that ``generate`` was given: one sequence (1-D, or a 2-D tensor of one
    row), or several (a list of sequences, or a 2-D tensor of several rows)."""
    if isinstance(ids, torch.Tensor) and ids.dim() == 2:
        return [[int(t) for t in row] for row in ids.tolist()]
    ids = list(ids)
    several = bool(ids) and all(
        isinstance(p, (list, tuple)) or getattr(p, "ndim", 0) == 1 for p in ids
    )
    if not several:
        return [prompt_ids(ids)]
    if not all(len(p) for p in ids):
        raise ValueError("an empty prompt: each one starts with <bos> at least")
    return [prompt_ids(p) for p in ids]


def with_empty_text(model, states: torch.Tensor, mask: torch.Tensor):
    """``states``/``mask`` followed by as many rows of the empty text, padded to one length."""
    empty, empty_mask = model.encode_text([""])
    width = max(states.shape[1], empty.shape[1])
    empty = F.pad(empty, (0, 0, 0, width - empty.shape[1])).expand(len(states), -1, -1)
    empty_mask = F.pad(empty_mask, (0, width - empty_mask.shape[1])).expand(len(states), -1)
    states = F.pad(states, (0, 0, 0, width - states.shape[1]))
    mask = F.pad(mask, (0, width - mask.shape[1]))
    return torch.cat([states, empty.to(states)]), torch.cat([mask, empty_mask.to(mask)])


def sample_tokens(logits, allowed, temperature, top_p, do_sample, generator) -> torch.Tensor:
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
