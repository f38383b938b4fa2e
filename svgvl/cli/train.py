"""``svgvl train iconshop | starvector | embed``: one subcommand per model (svgvl.train.<model>); add
others to this group."""

from __future__ import annotations

import os
import sys

from .options import positive_int

# The trainers are imported inside the handlers, not at the top: `svgvl --help` never loads torch.


def add_commands(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train models (iconshop: text → icon; starvector: image → SVG; embed: SVG–text space)",
    )
    train = p.add_subparsers(dest="train_command", metavar="MODEL")
    p.set_defaults(func=lambda _args, p=p: p.print_help() or 2)
    _add_iconshop(train)
    p = train.add_parser(
        "starvector",
        help="train the StarVector-style image-to-SVG model (a rerun resumes)",
        description="Fine-tune a StarVector-style image-to-SVG model (LoRA or full) on SVGs; "
        "a rerun of the same command resumes from OUT/checkpoints.",
    )
    _add_run_arguments(
        p,
        "starvector",
        {
            "help": "dataset folder (svgvl data build), SVG folder, a table in the SVG-Stack "
            "layout saved by datasets, or hf:NAME[:SPLIT]"
        },
        "run folder: log, checkpoints, model/, adapter/ (LoRA runs)",
        "no progress bar",
    )
    p.set_defaults(func=cmd_train_starvector)
    p = train.add_parser(
        "merge",
        help="merge a StarVector LoRA adapter (RUN/adapter) into its base model",
        description="Rebuild the base model a LoRA run started from (its config and seed), load "
        "the adapter's trained modules and merge the LoRA weights: the model RUN/model holds.",
    )
    p.add_argument("adapter", help="a LoRA run's adapter folder (RUN/adapter) or its run folder")
    p.add_argument("--out", required=True, help="folder for the merged model")
    p.add_argument("--force", action="store_true", help="replace --out when it exists")
    p.set_defaults(func=cmd_train_merge)
    p = train.add_parser(
        "embed",
        help="train the SVG–text embedding model (search, zero-shot labels; a rerun resumes)",
        description="Train the LiT-style SVG–text embedding model: a small CNN over rendered "
        "icons against the frozen text encoder; a rerun resumes from OUT/checkpoint-last.",
    )
    _add_run_arguments(
        p, "embed", FOLDERS, "run folder: data/, log, checkpoint, model/", "no progress bars"
    )
    p.set_defaults(func=cmd_train_embed)


def _add_run_arguments(p, model: str, data, out: str, progress: str) -> None:
    """The arguments every trainer takes: config, data, output folder, step limit, quiet."""
    p.add_argument("--config", required=True, help=f"YAML (examples/configs/{model}-*.yaml)")
    p.add_argument("--data", required=True, metavar="DATA", **data)
    p.add_argument("--out", required=True, help=out)
    p.add_argument("--max-steps", type=positive_int, help="stop at this step (default: config)")
    p.add_argument("--quiet", action="store_true", help=progress)


FOLDERS = {"nargs": "+", "help": "dataset folders or SVG folders"}


def _add_iconshop(train) -> None:
    p = train.add_parser(
        "iconshop",
        help="train the text-to-icon model (resumes from OUT/checkpoint-last)",
        description="Train the IconShop-style text-to-icon model; a rerun resumes.",
    )
    _add_run_arguments(
        p, "iconshop", FOLDERS, "run folder: log, checkpoints, samples, model/", "no progress bars"
    )
    p.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=None,
        metavar="CHECKPOINT",
        help="require a checkpoint to resume (OUT/checkpoint-last, or this one); "
        "by default a run resumes when OUT has one",
    )
    p.add_argument(
        "--init",
        nargs="?",
        const=True,
        default=None,
        metavar="MODEL",
        help="fine-tune: start a new run from these weights (a checkpoint or run folder; "
        "alone: the shipped model) with the config's schedule; the model settings are MODEL's",
    )
    p.set_defaults(func=cmd_train_iconshop)


def cmd_train_iconshop(args) -> int:
    from ..train.iconshop import train

    result = train(
        args.config,
        args.data,
        args.out,
        max_steps=args.max_steps,
        resume=args.resume,
        init=args.init,
        progress=not args.quiet,
    )
    losses = f"train loss {result['train_loss']:.4f}" if result["train_loss"] is not None else ""
    if result.get("val_loss") is not None:
        losses += f", val loss {result['val_loss']:.4f}"
    print(
        f"svgvl: step {result['step']:,}"
        + (f": {losses}" if losses else "")
        + f"; model in {result['model']}",
        file=sys.stderr,
    )
    return 0


def cmd_train_starvector(args) -> int:
    from ..train.starvector import train

    result = train(
        args.config, args.data, args.out, max_steps=args.max_steps, progress=not args.quiet
    )
    if os.environ.get("RANK", "0") != "0":
        return 0  # one line from a launch of many processes: the main one's
    last = result.get("last") or {}
    scores = ", ".join(
        f"{name} {last[key]:.4f}"
        for key, name in (("loss", "loss"), ("val_loss", "val loss"), ("val_ssim", "val ssim"))
        if last.get(key) is not None
    )
    print(
        f"svgvl: step {result['steps']:,}"
        + (f": {scores}" if scores else "")
        + f"; model in {result['model']}",
        file=sys.stderr,
    )
    return 0


def cmd_train_merge(args) -> int:
    from ..train.starvector_outputs import merge_adapter

    merge_adapter(args.adapter, args.out, force=args.force)
    print(f"svgvl: merged model in {args.out}", file=sys.stderr)
    return 0


def cmd_train_embed(args) -> int:
    from ..train.embed import train

    result = train(
        args.config,
        args.data,
        args.out,
        max_steps=args.max_steps,
        progress=not args.quiet,
        log=lambda line: print(line, file=sys.stderr),
    )
    recall = " ".join(f"{k} {v:.3f}" for k, v in result["val"].items())
    recall = f": val text→icon {recall}" if recall else " (no val icons)"
    print(
        f"svgvl: step {result['steps']:,}{recall}; model in {args.out}/model",
        file=sys.stderr,
    )
    return 0
