"""``svgvl data build | info | sources``: datasets of labelled SVGs (svgvl.data)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..data.sources import SOURCES  # a plain table: light to import
from .options import positive_int

# The builders are imported inside the handlers, not at the top: `svgvl --help` stays fast.


def add_commands(sub) -> None:
    p = sub.add_parser("data", help="build datasets of labelled SVGs from icon sets, emoji, fonts")
    data = p.add_subparsers(dest="data_command", metavar="ACTION")
    p.set_defaults(func=lambda _args, p=p: p.print_help() or 2)
    p = data.add_parser(
        "build",
        help="build (or resume) a dataset folder: JSONL shards + manifest.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="sources:\n"
        + "\n".join(f"  {name:<22} {text}" for name, text in SOURCES.items())
        + "\n\npackages are cached in $SVGVL_CACHE/packages (default ~/.cache/svgvl/packages)",
    )
    p.add_argument("source", help="where the SVGs come from (see below)")
    p.add_argument("--out", required=True, help="dataset folder (a rerun resumes where it stopped)")
    p.add_argument("--limit", type=positive_int, help="the first N items (in id order) only")
    p.add_argument(
        "--shard-size",
        type=positive_int,
        default=1000,
        metavar="N",
        help="items per data-NNNNN.jsonl shard (default: 1000)",
    )
    p.add_argument("--licence", metavar="SPDX", help="licence of dir: and font: sources")
    p.add_argument("--force", action="store_true", help="replace a dataset of another source")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_data_build)
    p = data.add_parser("info", help="print a dataset's counts (splits, licences, dropped)")
    p.add_argument("dir", help="dataset folder")
    p.add_argument("--json", action="store_true", help="print the whole manifest")
    p.set_defaults(func=cmd_data_info)
    p = data.add_parser("sources", help="list the sources that build accepts")
    p.set_defaults(func=cmd_data_sources)


def _counts(counts: dict) -> str:
    return ", ".join(f"{key} {value:,}" for key, value in counts.items())


def cmd_data_build(args) -> int:
    from ..data import build

    manifest = build(
        args.source,
        args.out,
        limit=args.limit,
        progress=not args.quiet,
        shard_size=args.shard_size,
        licence=args.licence,
        force=args.force,
    )
    dropped = sum(manifest["dropped"].values())
    print(
        f"svgvl: {manifest['records']:,} records ({_counts(manifest['counts']['split'])})"
        + (f", {dropped:,} dropped ({_counts(manifest['dropped'])})" if dropped else "")
        + f"; manifest in {os.path.join(args.out, 'manifest.json')}",
        file=sys.stderr,
    )
    return 0


def cmd_data_info(args) -> int:
    from ..data import info

    manifest = info(args.dir)
    if args.json:
        print(json.dumps(manifest, indent=2, ensure_ascii=False))
        return 0
    packages = ", ".join(
        f"{s['package']} {s['version']}" if s.get("package") else s.get("file") or s["source"]
        for s in manifest["sources"]
    )
    rows = [
        ("source", f"{manifest['source']} ({packages})"),
        ("records", f"{manifest['records']:,} of {manifest['items']:,} items"),
        ("splits", _counts(manifest["counts"]["split"])),
        ("licences", _counts(manifest["counts"]["licence"]) or "-"),
        ("dropped", _counts(manifest["dropped"]) or "none"),
        ("shards", f"{len(manifest['shards'])} (data-*.jsonl)"),
        ("built by", f"svgvl {manifest['svgvl_version']}: {manifest['command']}"),
    ]
    for key, value in rows:
        print(f"{key:>9}  {value}")
    return 0


def cmd_data_sources(args) -> int:
    width = max(map(len, SOURCES))
    for name, text in SOURCES.items():
        print(f"{name:<{width}}  {text}")
    return 0
