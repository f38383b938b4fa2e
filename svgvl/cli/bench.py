"""``svgvl bench``: vectorizers side by side on a suite, or a text-to-icon model on held-out
prompts (svgvl.bench)."""

from __future__ import annotations

import os
import sys

from .options import (
    CLIError,
    add_limit_options,
    add_sampling_options,
    non_negative_int,
    positive_int,
    sampling,
)

# The harness is imported inside the handlers, not at the top: `svgvl --help` stays fast.


def add_commands(sub) -> None:
    p = sub.add_parser(
        "bench", help="score vectorizers side by side on a suite of SVGs (SVG-Bench metrics)"
    )
    p.add_argument("--suite", help="built-in suite (icons, emoji, logos, fonts) or an SVG folder")
    p.add_argument(
        "--methods",
        help="comma-separated: trace, vtracer, potrace, source, starvector:PATH, "
        "package.module:function",
    )
    p.add_argument("--out", help="folder for the results (a rerun resumes where it stopped)")
    p.add_argument("--list", action="store_true", help="list the built-in suites and methods")
    p.add_argument("--limit", type=positive_int, help="the first N items of the suite only")
    p.add_argument(
        "--size", type=positive_int, default=512, help="input and scoring size (default: 512)"
    )
    p.add_argument(
        "--zoom",
        type=non_negative_int,
        default=4,
        help="ssim_zoom renders output and target at this many times --size (0: off; default: 4)",
    )
    p.add_argument(
        "--jobs",
        type=non_negative_int,
        default=1,
        metavar="N",
        help="parallel processes (0: all cores; default: 1)",
    )
    add_limit_options(p, timeout=60.0, what="each method call (a failure)")
    p.add_argument("--tokenizer", help="Hugging Face tokenizer (path or hub id) to add tokens")
    p.add_argument("--lpips", metavar="PATH", help="LPIPS weights to add the lpips metric")
    p.add_argument("--dino", metavar="PATH_OR_ID", help="DINOv2 model to add the dino metric")
    p.add_argument(
        "--force", action="store_true", help="score everything again, writing into any --out"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    p.add_argument(
        "--task",
        choices=["vectorize", "text2icon", "understand"],
        default="vectorize",
        help="vectorize (default): methods on a suite; text2icon: a text-to-icon model; "
        "understand: describe on generated scenes, or (--part retrieval) the SVG–text model "
        "on held-out icons",
    )
    _add_text2icon_options(p)
    _add_understand_options(p)
    p.set_defaults(func=cmd_bench)


def _add_text2icon_options(parser) -> None:
    t = parser.add_argument_group("text2icon")
    t.add_argument("--model", help="text-to-icon checkpoint (default: the shipped model)")
    t.add_argument(
        "--data", nargs="+", metavar="DIR", help="datasets: train split to compare, test prompts"
    )
    t.add_argument("--prompts", help="a file with one prompt per line (default: held-out titles)")
    t.add_argument("-n", type=positive_int, default=4, help="samples per prompt (default: 4)")
    t.add_argument("--seed", type=int, default=0, help="first seed (default: 0)")
    add_sampling_options(t)
    t.add_argument("--clip", metavar="ARCH:PATH", help="open_clip weights for CLIPScore/FID")
    t.add_argument(
        "--embed-model",
        default="auto",
        metavar="PATH",
        help="SVG–text model for the embedding score and FID (default: the shipped one; none: off)",
    )


def _add_understand_options(parser) -> None:
    u = parser.add_argument_group("understand")
    u.add_argument(
        "--part",
        choices=["describe", "retrieval"],
        default="describe",
        help="describe: shapes, kinds, colours and rule-based answers on generated scenes; "
        "retrieval: text↔icon recall and zero-shot labels of the SVG–text model (--embed-model) "
        "on the test split of --data, beside random and raw-pixel baselines",
    )
    u.add_argument(
        "--gallery", type=positive_int, default=1000, help="icons per retrieval gallery (1000)"
    )
    u.add_argument(
        "--prepared",
        metavar="DIR",
        help="where the rendered and encoded --data are kept (default: in ~/.cache/svgvl)",
    )
    u.add_argument(
        "--scenes", type=positive_int, default=200, help="generated scenes (default: 200)"
    )
    u.add_argument(
        "--lm",
        metavar="PATH_OR_ID",
        help="a causal language model (folder or hub id) to answer the questions too, given "
        "the SVG code and the description",
    )


def cmd_bench(args) -> int:
    if args.task == "text2icon":
        return _bench_text2icon(args)
    if args.task == "understand":
        return _bench_understand(args)
    if args.list:
        return _list_suites()
    required = (("--suite", args.suite), ("--methods", args.methods), ("--out", args.out))
    missing = [option for option, value in required if not value]
    if missing:
        raise CLIError(f"bench needs {', '.join(missing)} (or --list to see the suites)")
    from tqdm import tqdm

    from ..bench import run
    from ..bench.report import markdown

    results = run(
        args.suite,
        [name.strip() for name in args.methods.split(",") if name.strip()],
        args.out,
        size=args.size,
        limit=args.limit,
        jobs=args.jobs,
        timeout=args.timeout or None,
        max_memory=args.max_memory or None,
        zoom=args.zoom,
        tokenizer=args.tokenizer,
        lpips=args.lpips,
        dino=args.dino,
        force=args.force,
        progress=not args.quiet,
        log=lambda message: tqdm.write(message, file=sys.stderr),
    )
    if not args.quiet:
        print("\n".join(line for line in markdown(results).splitlines() if line.startswith("|")))
    items = len({row["id"] for row in results["items"]})
    print(
        f"svgvl: {items} items × {len(results['methods'])} methods"
        + (f", {len(results['skipped'])} skipped" if results["skipped"] else "")
        + f"; results in {os.path.join(args.out, 'results.md')} and report.html",
        file=sys.stderr,
    )
    return 0


def _list_suites() -> int:
    """``--list``: the built-in suites, one line each, then the method names."""
    from ..bench import list_suites, method_names
    from ..bench.suites import suites_dir

    suites = list_suites()
    if not suites:
        where = suites_dir() or "eval/suites is not next to the svgvl package"
        raise CLIError(
            f"no built-in suites found ({where}); set SVGVL_SUITES to their folder, "
            "or pass --suite DIR"
        )
    width = max(len(s["name"]) for s in suites)
    for suite in suites:
        sources = ", ".join(suite["sources"]) or "-"
        print(f"{suite['name']:<{width}}  {suite['items']:>5} items  {sources}")
        if suite["description"]:
            print(f"{'':<{width}}  {suite['description']}")
    print(f"methods: {', '.join(method_names())}")
    return 0


def _bench_text2icon(args) -> int:
    """``--task text2icon``: raw samples of a text-to-icon model scored on held-out prompts."""
    from ..bench import text2icon
    from ..models.iconshop import load_iconshop, training_sources

    missing = [o for o, v in (("--data", args.data), ("--out", args.out)) if not v]
    if missing:
        raise CLIError(f"bench --task text2icon needs {', '.join(missing)}")
    model = load_iconshop(args.model)
    trained_on = training_sources(args.model)
    unindexed = text2icon.unindexed_sources(trained_on, args.data)
    if unindexed:
        print(
            f"svgvl: warning: the model was also trained on {', '.join(unindexed)}; add them to "
            "--data, or novelty counts copies of their icons as new",
            file=sys.stderr,
        )
    prompts = None
    if args.prompts:
        with open(args.prompts, encoding="utf-8") as handle:
            prompts = [line.strip() for line in handle if line.strip()]

    settings = sampling(args)

    def generate(prompt: str, n: int, seed: int) -> list[str | None]:
        # Raw samples, no resampling of repeats: uniqueness is the model's own.
        model.check_prompt(prompt)
        rows = model.generate(
            text=prompt, num_return_sequences=n, seed=seed, temperature=1.0, **settings
        )
        return [model.path_tokenizer.decode(row) for row in rows]

    result = text2icon.run(
        generate,
        args.data,
        args.out,
        prompts=prompts,
        limit=args.limit or 200,
        n=args.n,
        seed=args.seed,
        tokenizer=model.path_tokenizer,
        clip=args.clip,
        embed_model=None if args.embed_model == "none" else args.embed_model,
        progress=not args.quiet,
        command=args.command_line,
        trained_on=trained_on,
    )
    print(text2icon.markdown(result), end="")
    return 0


def _retrieval(args) -> dict:
    """``--part retrieval``: prepare the --data (rendered and encoded once, cached), score."""
    import hashlib

    from ..bench import retrieval
    from ..files import cache_root
    from ..train.embed_data import prepare
    from ..understand.embed import load_embedder

    if not args.data:
        raise CLIError("bench --task understand --part retrieval needs --data (dataset folders)")
    model = None if args.embed_model in ("auto", None) else args.embed_model
    embedder = load_embedder(model)
    folder = args.prepared
    if not folder:
        key = hashlib.sha256("\n".join(sorted(map(str, args.data))).encode()).hexdigest()[:16]
        folder = cache_root() / "embed-data" / f"{key}-{embedder.size}"
    prepare(
        args.data,
        folder,
        image_size=embedder.size,
        text_encoder=embedder.model.config.text_encoder,
        progress=not args.quiet,
    )
    result = retrieval.run(folder, model, gallery=args.gallery, seed=args.seed)
    result["command"] = args.command_line
    return result


def _bench_understand(args) -> int:
    """``--task understand --part describe``: describe on scenes with known ground truth, from
    SVG, PNG and JPEG; the table on stdout, and results.json/results.md in --out if given."""
    import json

    from ..bench import understand
    from ..files import write_atomic

    files = (
        [os.path.join(args.out, name) for name in ("results.json", "results.md")]
        if args.out
        else []
    )
    existing = [f for f in files if os.path.exists(f)]
    if existing and not args.force:  # said before the work, not after it
        raise CLIError(f"{existing[0]}: already exists (pass --force to overwrite)")
    if args.part == "retrieval":
        result = _retrieval(args)
        from ..bench.retrieval import markdown

        table = markdown(result)
    else:
        result = understand.run(args.scenes, seed=args.seed, progress=not args.quiet, lm=args.lm)
        table = understand.markdown(result)
    if files:
        write_atomic(files[0], json.dumps(result, indent=1), force=True)
        write_atomic(files[1], f"`{args.command_line}`\n\n{table}", force=True)
    print(table, end="")
    return 0
