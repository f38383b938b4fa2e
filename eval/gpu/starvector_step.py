"""Real-size StarVector-1B training steps on a GPU: step time, tokens/s, peak memory.

    python eval/gpu/starvector_step.py [--seq-len 8192] [--full-seq-len 2048] [--batch 1]
        [--steps 5] [--warmup 2] [--rows all|LABEL,...] [--attn sdpa|eager|flash_attention_2]
        [--out eval/results/gpu-starvector.md]
    python eval/gpu/starvector_step.py --tiny      # CPU smoke run at toy sizes (numbers mean nothing)

Nothing is downloaded: the weights are random, the shapes are StarVector-1B's — a StarCoder-1B
decoder (GPTBigCode: 24 layers, 2048 wide, 16 heads with multi-query attention, 8,192 positions)
and a CLIP ViT-L/14 encoder (23 of 24 blocks, 224 px → 257 visual tokens) with StarVector's
adapter (BatchNorm over the tokens).  Each sequence fills the context: 257 visual tokens and
``seq-len - 257`` SVG-code tokens.  Fine-tuning is what ``svgvl train starvector`` does
(svgvl.train.finetuning.apply_finetuning): LoRA rows as the 1B config (r=16 on the decoder's
c_attn/c_proj/c_fc, adapter trained, encoder frozen) at ``--seq-len``; full rows as the official
StarVector-1B run (decoder, adapter and encoder all trained) at ``--full-seq-len``; AdamW,
gradient clipping.

Rows (``--rows``, labels ``MODE-CONTEXT-CHECKPOINTING-WEIGHTS``): LoRA at 8k with gradient
checkpointing off/on × fp32 master weights under bf16 autocast (what accelerate's
``mixed_precision="bf16"`` does in ``svgvl train``) or bf16 weights (the frozen base stored in
bf16; LoRA and adapter parameters as peft and the model keep them); full fine-tuning at 2k with
checkpointing off/on, fp32 master weights under bf16 autocast.  A row that runs out of memory
says so.  Step time is the median of the timed steps (forward, backward, clip, optimizer step).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def build(args, device):
    import torch

    from svgvl.models.starvector import (
        STARCODERBASE_1B,
        VIT_L_14,
        StarVectorConfig,
        StarVectorForCausalLM,
    )

    if args.tiny:
        text = {
            "model_type": "gpt_bigcode",
            "vocab_size": 1024,
            "n_positions": args.seq_len,
            "n_embd": 64,
            "n_layer": 2,
            "n_head": 4,
            "n_inner": 256,
            "multi_query": True,
        }
        vision = {"image_size": 32, "patch_size": 8, "width": 32, "layers": 2, "head_width": 16}
        layers = None
    else:
        text = {**STARCODERBASE_1B, "n_positions": max(args.seq_len, 8192)}
        vision, layers = dict(VIT_L_14), 23
    config = StarVectorConfig(text_config=text, vision_config=vision, vision_layers=layers)
    with torch.device(device):
        model = StarVectorForCausalLM(config)
    if args.attn:
        model.language_model.set_attn_implementation(args.attn)
    return model


def run_row(args, device, mode: str, seq_len: int, checkpointing: bool, bf16_weights: bool):
    import torch

    from svgvl.train.finetuning import apply_finetuning, parameter_counts
    from svgvl.train.starvector import DEFAULTS

    torch.manual_seed(0)
    model = build(args, device)
    if bf16_weights:
        model.to(torch.bfloat16)
    finetune = {**DEFAULTS["finetune"], "gradient_checkpointing": checkpointing}
    if mode == "full":
        finetune.update(decoder="full", vision="full")
    model, description = apply_finetuning(model, finetune)
    model.to(device)
    model.train()
    trainable, total = parameter_counts(model)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, betas=(0.95, 0.999), weight_decay=1e-6)
    visual = base.num_visual_tokens
    text_tokens = seq_len - visual
    if text_tokens < 1:
        raise SystemExit(f"--seq-len must exceed the {visual} visual tokens")
    size = base.config.image_size
    vocab = base.get_input_embeddings().num_embeddings
    pixels = torch.randn(args.batch, 3, size, size, device=device)
    ids = torch.randint(5, vocab, (args.batch, text_tokens), device=device)
    batch = {
        "pixel_values": pixels,
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "labels": ids,
    }
    cuda = device.startswith("cuda")
    autocast = torch.autocast(device_type="cuda" if cuda else "cpu", dtype=torch.bfloat16)
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    times = []
    try:
        for step in range(args.warmup + args.steps):
            if cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()
            with autocast:
                loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if cuda:
                torch.cuda.synchronize()
            if step >= args.warmup:
                times.append(time.perf_counter() - start)
    except torch.OutOfMemoryError:
        return {"oom": True, "trainable": trainable, "total": total, "description": description}
    finally:
        del optimizer, model, base
    step_time = statistics.median(times)
    return {
        "oom": False,
        "step_s": step_time,
        "tokens_per_s": args.batch * seq_len / step_time,
        "text_tokens_per_s": args.batch * text_tokens / step_time,
        "peak_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan"),
        "loss": float(loss.detach()),
        "trainable": trainable,
        "total": total,
        "description": description,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seq-len", type=int, default=None, help="LoRA rows' tokens (8192)")
    parser.add_argument("--full-seq-len", type=int, default=None, help="full rows' tokens (2048)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per row")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--attn", help="decoder attention implementation (default: sdpa)")
    parser.add_argument("--rows", default="all", help="all, or e.g. 'gc-fp32,nogc-bf16'")
    parser.add_argument("--out", help="also write the markdown table to this file")
    parser.add_argument("--tiny", action="store_true", help="toy sizes on CPU: a smoke run")
    args = parser.parse_args(argv)
    args.seq_len = args.seq_len or (64 if args.tiny else 8192)
    args.full_seq_len = args.full_seq_len or (32 if args.tiny else 2048)

    import platform

    import torch
    import transformers

    torch.set_num_threads(1) if args.tiny else None
    device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    if device == "cpu" and not args.tiny:
        raise SystemExit("no CUDA device: pass --tiny for a CPU smoke run")
    name = torch.cuda.get_device_name() if device == "cuda" else platform.processor() or "CPU"
    k = lambda n: f"{n // 1024}k" if n % 1024 == 0 else str(n)  # noqa: E731
    lora, full = k(args.seq_len), k(args.full_seq_len)
    rows = [  # label, mode, tokens, checkpointing, bf16 weights
        (f"lora-{lora}-nogc-fp32", "lora", args.seq_len, False, False),
        (f"lora-{lora}-gc-fp32", "lora", args.seq_len, True, False),
        (f"lora-{lora}-nogc-bf16", "lora", args.seq_len, False, True),
        (f"lora-{lora}-gc-bf16", "lora", args.seq_len, True, True),
        (f"full-{full}-nogc-fp32", "full", args.full_seq_len, False, False),
        (f"full-{full}-gc-fp32", "full", args.full_seq_len, True, False),
    ]
    if args.rows != "all":
        wanted = set(args.rows.split(","))
        unknown = wanted - {row[0] for row in rows}
        if unknown:
            raise SystemExit(f"unknown rows {sorted(unknown)}; rows: {[r[0] for r in rows]}")
        rows = [row for row in rows if row[0] in wanted]
    results = []
    for label, mode, seq_len, checkpointing, bf16_weights in rows:
        result = run_row(args, device, mode, seq_len, checkpointing, bf16_weights)
        results.append((label, mode, seq_len, checkpointing, bf16_weights, result))
        print(f"{label}: {result}", file=sys.stderr)

    command = "python eval/gpu/starvector_step.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    lines = [
        f"## StarVector-1B-shaped training steps{' (TINY smoke run: toy sizes)' if args.tiny else ''}",
        "",
        f"Produced by `{command.strip()}` on {name}; torch {torch.__version__}, "
        f"transformers {transformers.__version__}.",
        "",
        f"Random weights, StarVector-1B shapes; batch {args.batch}; tokens per sequence include "
        f"the visual tokens; median of {args.steps} steps after {args.warmup} warm-up steps.",
        "",
    ]
    for mode in ("lora", "full"):
        mine = [r for r in results if r[1] == mode]
        if not mine:
            continue
        r0 = mine[0][5]
        lines += [
            f"{'LoRA' if mode == 'lora' else 'Full fine-tuning'}: {r0['description']}; "
            f"{r0['trainable']:,} of {r0['total']:,} parameters trainable.",
            "",
            "| tokens | gradient checkpointing | weights | step (s) | tokens/s | SVG tokens/s "
            "| peak memory (GiB) |",
            "|---:|---|---|---:|---:|---:|---:|",
        ]
        for _label, _mode, seq_len, checkpointing, bf16_weights, r in mine:
            weights = "bf16" if bf16_weights else "fp32 + bf16 autocast"
            head = f"| {seq_len:,} | {'on' if checkpointing else 'off'} | {weights} |"
            if r["oom"]:
                lines.append(f"{head} OOM | | | |")
                continue
            lines.append(
                f"{head} {r['step_s']:.3f} | {r['tokens_per_s']:,.0f} | "
                f"{r['text_tokens_per_s']:,.0f} | {r['peak_gib']:.1f} |"
            )
        lines.append("")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
