"""Validation of a StarVector run: the teacher-forced val loss over all ranks, and greedy SVGs
(from the image, or from the caption for text2svg, as the engine samples them) repaired,
rendered and scored by SSIM against their targets on the main process."""

from __future__ import annotations

import math

import torch

from ..engines.starvector import rerank, sample_captioned, sample_svgs
from .loop import is_sharded
from .svg_code_data import SVGCode, collate


def val_loss(accelerator, model, dataset: SVGCode, items: int, pad_id: int) -> float | None:
    """The teacher-forced loss over the first ``items`` val rows, shared out over the ranks;
    every rank runs the same number of forward passes (a sharded model needs all of them)."""
    n = min(items, len(dataset))
    if not n:
        return None
    world, rank = accelerator.num_processes, accelerator.process_index
    total = torch.zeros(2, device=accelerator.device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for turn in range(math.ceil(n / world)):
                index = turn * world + rank
                batch = collate([dataset[min(index, n - 1)]], pad_id)
                batch = {k: v.to(accelerator.device) for k, v in batch.items()}
                with accelerator.autocast():
                    loss = model(**batch).loss.float()
                if index < n:  # ranks past the end ran only to keep the others company
                    total += torch.stack([loss, torch.ones_like(loss)])
    finally:
        model.train(was_training)
    total = accelerator.reduce(total, "sum")
    return float(total[0] / total[1])


def validate(model, tokenizer, dataset: SVGCode, items: int, max_new_tokens: int) -> dict:
    """Greedy SVGs for the first ``items`` val rows (from the image, or from the caption for
    text2svg): repaired, rendered at 256 px, SSIM against the target SVG's render."""
    scores, repaired = [], 0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for index in range(min(items, len(dataset))):
                item = dataset.example(dataset.rows[index])
                if item is None:
                    continue
                if dataset.task == "im2svg":
                    image = dataset.image(item["svg"])
                    texts = sample_svgs(
                        model, tokenizer, [image], do_sample=False, max_new_tokens=max_new_tokens
                    )[0]
                else:
                    texts = sample_captioned(
                        model,
                        tokenizer,
                        item["caption"],
                        do_sample=False,
                        max_new_tokens=max_new_tokens,
                    )[0]
                score, _svg, repairs = rerank(texts, item["svg"], size=256)[0]
                scores.append(score)
                repaired += bool(repairs)
    finally:
        model.train(was_training)
    if not scores:
        return {}
    return {"val_ssim": sum(scores) / len(scores), "val_repaired": repaired / len(scores)}


def new_token_budget(val_set: SVGCode, items: int, max_text: int) -> int:
    """New tokens to allow a greedy val SVG: the longest target among the val items, + 16."""
    longest = 1
    for index in range(min(items, len(val_set))):
        item = val_set.example(val_set.rows[index])
        if item is not None:
            longest = max(longest, len(item["input_ids"]) - len(item["prompt_ids"]))
    return min(max_text, longest + 16)


def validation(accelerator, model, tokenizer, val_set, run, max_new_tokens) -> dict:
    """The val loss (all ranks) and, where one rank can run the whole model, greedy SVGs'
    SSIM on the main process while the others wait."""
    scores = {}
    loss = val_loss(accelerator, model, val_set, int(run["val_items"]), tokenizer.pad_token_id)
    if loss is not None:
        scores["val_loss"] = loss
    if not is_sharded(accelerator):
        if accelerator.is_main_process:
            unwrapped = accelerator.unwrap_model(model)
            base = unwrapped.get_base_model() if hasattr(unwrapped, "get_base_model") else unwrapped
            with accelerator.autocast():
                scores.update(
                    validate(base, tokenizer, val_set, int(run["val_items"]), max_new_tokens)
                )
        accelerator.wait_for_everyone()
    return scores
