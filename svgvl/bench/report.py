"""Reports of a benchmark run: ``results.json``, ``results.md`` (the table) and ``report.html``.

``report.html`` is one self-contained page (inline CSS and a few lines of JavaScript, no external
resources) showing, for every item, the input, each method's output and where it differs from
the input; the item rows sort by any metric of any method.  Its images are the files beside it.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from .. import __version__
from ..files import write_atomic

METRICS = (
    "mse",
    "psnr",
    "ssim",
    "ssim_zoom",
    "lpips",
    "dino",
    "bytes",
    "paths",
    "commands",
    "tokens",
    "sec",
)
"""Per-item metrics, in table order; all but ``failed`` are averaged per method."""

LOWER_IS_BETTER = {"mse", "lpips", "bytes", "paths", "commands", "tokens", "sec"}

# Column title and number format in results.md / report.html.
_COLUMNS = {
    "ssim": ("SSIM", "{:.4f}"),
    "ssim_zoom": ("SSIM zoom", "{:.4f}"),
    "psnr": ("PSNR", "{:.2f}"),
    "mse": ("MSE", "{:.5f}"),
    "lpips": ("LPIPS", "{:.4f}"),
    "dino": ("DINO", "{:.4f}"),
    "bytes": ("bytes", "{:,.0f}"),
    "paths": ("paths", "{:.1f}"),
    "commands": ("commands", "{:.1f}"),
    "tokens": ("tokens", "{:,.0f}"),
    "sec": ("sec", "{:.3f}"),
}
_TABLE_ORDER = tuple(_COLUMNS)  # the columns' order


def summarise(names: list[str], rows: list[dict]) -> dict:
    """Per method: ``n`` (rows), ``failed`` (how many failed) and the mean of each metric.

    Failed rows count in the fidelity means as an all-white image (SVG-Bench); compactness
    means are over the outputs that exist.
    """
    out = {}
    for name in names:
        mine = [row for row in rows if row["method"] == name]
        summary = {"n": len(mine), "failed": sum(bool(row.get("failed")) for row in mine)}
        for key in METRICS:
            values = [row[key] for row in mine if isinstance(row.get(key), int | float)]
            if any(key in row for row in mine):
                summary[key] = sum(values) / len(values) if values else None
        out[name] = summary
    return out


def results_json(suite, names, rows, skipped, settings, command) -> dict:
    items = [{k: v for k, v in row.items() if k != "target_sha256"} for row in rows]
    return {
        "suite": suite.name,
        "size": settings["size"],
        "zoom": settings["zoom"],
        "command": command,
        "svgvl": __version__,
        "cpus": os.cpu_count(),
        "methods": summarise(names, items),
        "items": items,
        "skipped": skipped,
    }


def _columns(results: dict) -> list[str]:
    present = {k for summary in results["methods"].values() for k in summary}
    return [k for k in _TABLE_ORDER if k in present]


def _number(key: str, value) -> str:
    if value is None:
        return "–"
    return _COLUMNS[key][1].format(value)


def markdown(results: dict) -> str:
    columns = _columns(results)
    n_items = len({row["id"] for row in results["items"]})
    lines = [
        f"# svgvl bench: {results['suite']}",
        "",
        "Produced by:",
        "",
        "```sh",
        results["command"],
        "```",
        "",
        f"{n_items} items ({len(results['skipped'])} skipped), targets rendered at "
        f"{results['size']} px on white (SVG-Bench settings)"
        + (f", SSIM zoom at {results['zoom']}×" if results.get("zoom") else "")
        + f"; svgvl {results['svgvl']}, {results['cpus']} CPUs. Means per method; a failed "
        "output scores as a white image. Lower is better for "
        + ", ".join(_COLUMNS[k][0] for k in columns if k in LOWER_IS_BETTER)
        + ".",
        "",
        "| method | n | failed | " + " | ".join(_COLUMNS[k][0] for k in columns) + " |",
        "|---|---:|---:|" + "---:|" * len(columns),
    ]
    for name, summary in results["methods"].items():
        cells = [_number(k, summary.get(k)) for k in columns]
        lines.append(
            f"| {name} | {summary['n']} | {summary['failed']} | " + " | ".join(cells) + " |"
        )
    if results["skipped"]:
        lines += ["", "Skipped:", ""]
        lines += [f"- `{entry['id']}`: {entry['reason']}" for entry in results["skipped"]]
    lines += ["", "Per-item results: `results.json`; side by side: `report.html`.", ""]
    return "\n".join(lines)


def write_markdown(results: dict, path) -> None:
    write_atomic(path, markdown(results), force=True)


# -- report.html -------------------------------------------------------------------------------

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
code { background: #f3f3f3; padding: 0.1em 0.3em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
#items img { width: 128px; height: 128px; display: block; border: 1px solid #ddd; }
.pair { display: flex; gap: 4px; }
.m { font-size: 12px; color: #444; max-width: 262px; }
.failed { background: #fde8e8; }
.err { color: #a00; font-size: 12px; max-width: 262px; overflow-wrap: anywhere; }
button { font-size: 11px; margin: 1px; cursor: pointer; }
button.on { background: #333; color: #fff; }
"""

_SCRIPT = """
const body = document.querySelector('#items tbody');
let current = null, direction = 1;
for (const button of document.querySelectorAll('button[data-sort]')) {
  button.addEventListener('click', () => {
    const key = button.dataset.sort;
    direction = key === current ? -direction : (button.dataset.low ? 1 : -1);
    current = key;
    const rows = Array.from(body.rows);
    const value = (row) => row.dataset['s' + key];
    rows.sort((a, b) => {
      if (key === 'id') return direction * value(a).localeCompare(value(b));
      const x = parseFloat(value(a)), y = parseFloat(value(b));
      if (isNaN(x) || isNaN(y)) return isNaN(x) - isNaN(y);
      return direction * (x - y);
    });
    for (const row of rows) body.appendChild(row);
    for (const other of document.querySelectorAll('button[data-sort]'))
      other.classList.toggle('on', other === button);
  });
}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def report_html(results: dict) -> str:
    names = list(results["methods"])
    columns = _columns(results)
    shown = [k for k in ("ssim", "ssim_zoom", "bytes", "sec") if k in columns]
    sort_keys = {
        (name, key): f"{i}_{j}" for i, name in enumerate(names) for j, key in enumerate(columns)
    }
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>svgvl bench: {_e(results['suite'])}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>svgvl bench: {_e(results['suite'])}</h1>",
        f"<p><code>{_e(results['command'])}</code></p>",
        f"<p>{len({r['id'] for r in results['items']})} items at {results['size']} px; means per "
        "method (a failed output scores as a white image). Sort the items with the buttons under "
        "each method; click again to reverse.</p>",
        "<table id='summary'><thead><tr><th>method</th><th>n</th><th>failed</th>",
        *(f"<th>{_e(_COLUMNS[k][0])}</th>" for k in columns),
        "</tr></thead><tbody>",
    ]
    for name, summary in results["methods"].items():
        parts.append(
            f"<tr><td>{_e(name)}</td><td class='num'>{summary['n']}</td>"
            f"<td class='num'>{summary['failed']}</td>"
            + "".join(f"<td class='num'>{_e(_number(k, summary.get(k)))}</td>" for k in columns)
            + "</tr>"
        )
    parts += ["</tbody></table>", "<table id='items'><thead><tr>"]
    parts.append("<th>item<br><button data-sort='id' data-low='1'>id</button></th><th>input</th>")
    for name in names:
        buttons = "".join(
            f"<button data-sort='{sort_keys[name, k]}'"
            + (" data-low='1'" if k in LOWER_IS_BETTER else "")
            + f">{_e(_COLUMNS[k][0])}</button>"
            for k in columns
        )
        parts.append(f"<th>{_e(name)} — output | difference<br>{buttons}</th>")
    parts.append("</tr></thead><tbody>")
    by_item: dict[str, dict[str, dict]] = {}
    for row in results["items"]:
        by_item.setdefault(row["id"], {})[row["method"]] = row
    for item_id, cells in by_item.items():
        first = next(iter(cells.values()))
        data = [f"data-sid='{_e(item_id)}'"]
        for name in names:
            row = cells.get(name, {})
            for key in columns:
                value = row.get(key)
                if isinstance(value, int | float):
                    data.append(f"data-s{sort_keys[name, key]}='{value!r}'")
        parts.append(f"<tr {' '.join(data)}><td>{_e(item_id)}</td>")
        parts.append(f"<td><img src='{_e(first['input'])}' alt='input'></td>")
        for name in names:
            row = cells.get(name)
            if row is None:
                parts.append("<td></td>")
                continue
            metrics = " · ".join(f"{_COLUMNS[k][0]} {_number(k, row.get(k))}" for k in shown)
            image = f"<img src='{_e(row['image'])}' alt='output of {_e(name)}'>"
            if row.get("svg"):
                image = f"<a href='{_e(row['svg'])}'>{image}</a>"
            error = f"<div class='err'>{_e(row['error'])}</div>" if row.get("error") else ""
            parts.append(
                f"<td{' class=failed' if row.get('failed') else ''}><div class='pair'>{image}"
                f"<img src='{_e(row['diff'])}' alt='difference'></div>"
                f"<div class='m'>{_e(metrics)}</div>{error}</td>"
            )
        parts.append("</tr>")
    parts.append("</tbody></table>")
    if results["skipped"]:
        parts.append("<h2>Skipped</h2><ul>")
        parts += [
            f"<li><code>{_e(entry['id'])}</code>: {_e(entry['reason'])}</li>"
            for entry in results["skipped"]
        ]
        parts.append("</ul>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def write_html(results: dict, path) -> None:
    write_atomic(Path(path), report_html(results), force=True)


def load_results(path) -> dict:
    """``results.json`` of a run (a folder or the file itself)."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    return json.loads(path.read_text(encoding="utf-8"))
