"""``svgvl icon | library | tokenize``: text to icon with the IconShop-style model
(svgvl.models.iconshop, svgvl.train.iconshop, svgvl.tokenize)."""

from __future__ import annotations

import os
import re
import sys
import warnings

from .options import add_sampling_options, positive_int, read_input, sampling

# The model is imported inside the handlers, not at the top: `svgvl --help` never loads torch.


def add_commands(sub) -> None:
    p = sub.add_parser("icon", help="generate icons from a text prompt (IconShop-style model)")
    p.add_argument("prompt", help="what to draw, in a few words (at most 200 characters)")
    p.add_argument("-n", type=int, default=4, help="number of distinct icons (default: 4)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "-o",
        "--out",
        default=".",
        help="folder for PROMPT-0.svg, PROMPT-1.svg, ... (default: .); - writes the SVGs to "
        "standard output, one per line",
    )
    p.add_argument(
        "--model",
        help="checkpoint folder or training output folder (default: the shipped iconshop-gpu)",
    )
    p.add_argument("--complete", metavar="SVG", help="add paths to this partial icon instead")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (1.0)")
    add_sampling_options(p)
    p.add_argument(
        "--best-of",
        type=positive_int,
        metavar="K",
        help="draw K samples, keep the N the model finds most likely for the prompt: cleaner "
        "icons, K/N times slower, more often close to training icons (default: 2N; N: plain "
        "sampling)",
    )
    p.add_argument(
        "--rank",
        choices=["auto", "likelihood", "embedding", "mix"],
        default="auto",
        help="how the --best-of samples are ordered: the model's likelihood, the SVG–text "
        "model's prompt–render similarity, or both (auto: embedding when the SVG–text model "
        "is installed)",
    )
    p.add_argument(
        "--no-library",
        dest="library",
        action="store_false",
        help="draw with the model alone, never from the first part of a library icon that the "
        "prompt names (see svgvl library)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.set_defaults(func=cmd_icon)
    _add_library_and_tokenize(sub)


def _add_library_and_tokenize(sub) -> None:
    p = sub.add_parser(
        "library",
        help="build a text-to-icon model's icon library from its training data",
        description="Save the train split of DIRs, tokenized, as MODEL's icon library "
        "(library.safetensors): svgvl icon starts rare concepts from the first part of the "
        "library icons the prompt names. svgvl train iconshop writes one itself.",
    )
    p.add_argument("--model", required=True, help="checkpoint folder or training output folder")
    p.add_argument(
        "--data", required=True, nargs="+", metavar="DIR", help="the model's dataset folders"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_library)

    p = sub.add_parser("tokenize", help="encode an SVG with the path tokenizer; count, round-trip")
    p.add_argument("input", help="SVG file, or - for standard input")
    p.add_argument(
        "--roundtrip", action="store_true", help="decode the tokens back to SVG (to -o or stdout)"
    )
    p.add_argument("-o", "--output", help="decoded SVG (implies --roundtrip; - for stdout)")
    p.add_argument("--ids", action="store_true", help="print the token ids")
    p.add_argument(
        "--tokenizer", help="tokenizer spec file or model folder (default: v1, grid 128)"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.set_defaults(func=cmd_tokenize)


def _slug(text: str) -> str:
    """A file-name stem from a prompt: 'A red rocket!' → 'a-red-rocket'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-") or "icon"


def _icon_path(folder: str, prompt: str, i: int) -> str:
    return os.path.join(folder, f"{_slug(prompt)}-{i}.svg")


def cmd_icon(args) -> int:
    from ..engines.icons import generate_icons
    from ..files import OutputExistsError, write_atomic
    from ..models.library import PROVENANCE

    # The prompt, -n and --best-of are checked by generate_icons, before any model loads.
    to_stdout = args.out == "-"
    paths = [] if to_stdout else [_icon_path(args.out, args.prompt, i) for i in range(args.n)]
    existing = [p for p in paths if os.path.exists(p)]
    if existing and not args.force:
        raise OutputExistsError(existing[0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svgs = generate_icons(
            args.prompt,
            args.n,
            seed=args.seed,
            model=args.model,
            temperature=args.temperature,
            complete=read_input(args.complete) if args.complete else None,
            best_of=args.best_of,
            library="auto" if args.library else False,
            rank=args.rank,
            progress=sys.stderr.isatty(),
            **sampling(args),
        )
    for warning in caught:
        print(f"svgvl: warning: {warning.message}", file=sys.stderr)
    if to_stdout:
        for svg in svgs:
            sys.stdout.write(svg.replace("\n", " ").strip() + "\n")
    else:
        for path, svg in zip(paths, svgs, strict=True):
            write_atomic(path, svg, force=args.force)
            print(path)
    drawn_on = sum(svg.startswith(PROVENANCE) for svg in svgs)
    if drawn_on:
        print(
            f"svgvl: {drawn_on} of {len(svgs)} drawn on from library icons, each named with its "
            "licence in its first line (--no-library: the model alone)",
            file=sys.stderr,
        )
    return 0


def cmd_library(args) -> int:
    from ..engines.icons import library_for

    path, count = library_for(args.model, args.data, progress=not args.quiet)
    print(f"svgvl: {count:,} icons in {path}", file=sys.stderr)
    return 0


def cmd_tokenize(args) -> int:
    from ..files import write_atomic
    from ..tokenize import PathTokenizer

    tokenizer = PathTokenizer.from_pretrained(args.tokenizer) if args.tokenizer else PathTokenizer()
    dropped: list[str] = []
    approximated: list[str] = []
    ids = tokenizer.encode(read_input(args.input), dropped, approximated)
    output = args.output or ("-" if args.roundtrip else None)
    report = sys.stderr if output == "-" else sys.stdout
    print(f"{args.input}: {len(ids)} tokens", file=report)
    if args.ids:
        print(" ".join(map(str, ids)), file=report)
    for note in dropped:
        print(f"svgvl: warning: {args.input}: dropped {note}", file=sys.stderr)
    for note in approximated:
        print(f"svgvl: warning: {args.input}: approximated {note}", file=sys.stderr)
    if output:
        write_atomic(output, tokenizer.decode(ids), force=args.force)
    return 0
