"""``svgvl describe``, ``svgvl search`` and ``svgvl classify``: understanding SVG from the command
line (:mod:`svgvl.understand`): what a drawing shows, shape by shape; the SVG–text embedding
model's search and zero-shot labels."""

from __future__ import annotations

import json
import os
import sys

from .options import CLIError, positive_int

# The library is imported inside the handlers, not at the top: `svgvl --help` stays fast.


def add_commands(sub) -> None:
    p = sub.add_parser(
        "describe",
        help="list the shapes an SVG or image draws: kind, geometry, colours, z-order, relations",
    )
    p.add_argument("input", help="SVG file, or an image (PNG, JPEG, ...) to trace first")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument(
        "--labels",
        type=int,
        default=3,
        metavar="K",
        help="add the K zero-shot labels the SVG–text model finds likeliest (default: 3; 0: "
        "none; none either when the model is not installed)",
    )
    _add_model(p)
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser(
        "search",
        help="find icons by text (or by example with --like) in folders of SVG/PNG files",
        description="Rank the SVG and image files below PATH (folders are searched recursively; "
        "dataset folders by record) by similarity to a text query, or to an example drawing "
        "with --like.  Vectors are kept in an on-disk index and recomputed only for files "
        "that changed.",
    )
    p.add_argument("args", nargs="+", metavar="QUERY PATH", help="the query, then files or folders")
    p.add_argument("--like", metavar="ICON", help="rank by likeness to this SVG or image instead")
    p.add_argument("--top", type=positive_int, default=10, help="results to show (default: 10)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_model(p)
    p.add_argument("--index", metavar="FILE", help="index file (default: in ~/.cache/svgvl/search)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "classify",
        help="zero-shot labels for SVGs or images from a list of labels",
        description="Score each input against the given labels with the SVG–text embedding "
        "model; prints the most likely labels with their probabilities.",
    )
    p.add_argument("inputs", nargs="+", metavar="IN", help="SVG or image files")
    labels = p.add_mutually_exclusive_group(required=True)
    labels.add_argument("--labels", help='comma-separated labels, e.g. "cat,dog,house"')
    labels.add_argument("--labels-file", metavar="FILE", help="one label per line")
    p.add_argument("--top", type=positive_int, default=3, help="labels to show per input (3)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_model(p)
    p.set_defaults(func=cmd_classify)


def _add_model(p) -> None:
    p.add_argument(
        "--model", help="embedding model folder or training run (default: the shipped model)"
    )


def cmd_search(args) -> int:
    from ..understand.embed import image_pixels, load_embedder
    from ..understand.search import build_index, collect, rank

    if args.like:
        query, paths = None, args.args
    else:
        query, paths = args.args[0], args.args[1:]
        if not paths:
            raise CLIError("search: give the query, then at least one file or folder to search")
        if not query.strip():
            raise CLIError("search: empty query: say what to look for")
    # Checked before the model loads (seconds): a wrong path should not cost that wait.
    if not collect(paths):
        raise CLIError("search: no SVG or image files in " + ", ".join(paths))
    embedder = load_embedder(args.model)
    if query is not None:
        vector = embedder.embed_texts([query])[0]
    else:
        vector = embedder.embed_pixels(image_pixels(args.like, embedder.size)[None])[0]
    index = build_index(paths, model=args.model, index=args.index, progress=not args.quiet)
    for note in index.notes:
        print(f"svgvl: {note}", file=sys.stderr)
    for name, why in index.skipped.items():
        print(f"svgvl: skipped {name}: {why}", file=sys.stderr)
    if not index.names:
        raise CLIError("search: nothing readable to search in " + ", ".join(paths))
    results = rank(index, vector, args.top)
    if args.json:
        print(
            json.dumps(
                {
                    "query": query,
                    "like": args.like,
                    "results": [{"name": n, "score": round(s, 4)} for n, s in results],
                    "searched": len(index.names),
                    "skipped": index.skipped,
                },
                ensure_ascii=False,
            )
        )
    else:
        for name, score in results:
            print(f"{score:.3f}  {name}")
    return 0


def cmd_classify(args) -> int:

    if args.labels is not None:
        labels = args.labels.split(",")
    else:
        try:
            with open(args.labels_file, encoding="utf-8") as handle:
                labels = handle.read().splitlines()
        except OSError as error:
            raise CLIError(f"{args.labels_file}: cannot read ({error.strerror})") from None
    import numpy as np

    from ..understand.embed import image_pixels, load_embedder
    from ..understand.search import classify_pixels

    if len({label.strip() for label in labels if label.strip()}) < 2:
        raise CLIError("classify: give at least two different labels")
    embedder = load_embedder(args.model)
    paths, pixels = [], []
    for path in args.inputs:
        try:
            pixels.append(image_pixels(path, embedder.size))
            paths.append(path)
        except (ValueError, OSError) as error:
            print(f"svgvl: error: {path}: {str(error).splitlines()[0]}", file=sys.stderr)
    ranked = classify_pixels(embedder, np.stack(pixels), labels) if pixels else []
    results = {path: r[: args.top] for path, r in zip(paths, ranked, strict=True)}
    failed = len(args.inputs) - len(paths)
    if args.json:
        print(
            json.dumps(
                {p: [{"label": lab, "p": round(s, 4)} for lab, s in r] for p, r in results.items()},
                ensure_ascii=False,
            )
        )
    else:
        for path, ranked in results.items():
            print(path + ": " + ", ".join(f"{lab} {s:.2f}" for lab, s in ranked))
    return 1 if failed else 0


def cmd_describe(args) -> int:
    from ..errors import one_line
    from ..understand import describe

    if not os.path.isfile(args.input):
        raise CLIError(f"{args.input}: no such file")
    labels = None
    if args.labels > 0:
        labels = _zero_shot_labels(args.input, args.labels, args.model)
    try:
        description = describe(args.input, labels=labels)
    except (ValueError, OSError) as error:
        raise CLIError(one_line(error, args.input)) from None
    if args.json:
        print(json.dumps(description.to_dict(), ensure_ascii=False))
    else:
        print(description.to_text())
    return 0


def _zero_shot_labels(path: str, k: int, model) -> list[tuple[str, float]] | None:
    """Top labels from the embedding model's vocabulary; None when no model is installed."""
    from ..understand.embed import SHIPPED, top_labels

    if model is None and not (SHIPPED / "config.json").is_file():
        return None
    try:
        return top_labels(path, k, model) or None
    except (ValueError, OSError):
        return None  # the description itself says what is wrong with the input
