"""Methods: what a benchmark compares.  A method turns the target's pixels into SVG text.

Every method has one signature, ``method(image, target_svg) -> str``: ``image`` is the target
rendered at the benchmark size on white (``uint8`` H×W×3 RGB, a copy the method may keep), and
``target_svg`` is the target's SVG text, which only sanity rows such as ``source`` should read.

Built-in methods, by name in :data:`METHODS`:

- ``trace``: svgvl's native tracer (``svgvl.vectorize(image, engine="trace")``);
- ``vtracer``: the classical baseline (``engine="vtracer"``, needs ``pip install vtracer``);
- ``potrace``: the ``potrace`` program (GPL, so it is only ever *run*, never imported or linked),
  in colour: the image is cut into palette colours and each colour's mask, stacked with every
  colour above it, is traced on its own;
- ``source``: the target SVG itself, an upper bound (SSIM 1.0);
- ``starvector:PATH``: the learned engine, ``svgvl.vectorize(image, engine="starvector",
  model=PATH)``.

A user's own method is ``package.module:function`` on the command line, or
``register_method(name, function)`` in Python.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..svg.style import hex_color
from .suites import BenchError

# A method's engine is imported in its prepare hook (once, before the harness forks) and in its
# call, so that `import svgvl.bench` stays light and an engine is needed only when it runs.


@dataclass(frozen=True)
class Method:
    """A named ``image, target_svg -> SVG text`` function.

    ``isolate``: run each call in a forked process that is killed at the time limit, so that a
    method stuck in C code (or crashing) costs one item, not the run; turn it off for methods
    that hold a GPU or a large model, which must stay in one process (they are then timed out
    only between Python instructions).  ``prepare``: called once before the run, in the main
    process, to check that the method can run (raise :class:`BenchError` saying what to install)
    and to import what it needs, so that each forked call does not import it again.
    """

    name: str
    fn: Callable[[np.ndarray, str], str]
    isolate: bool = True
    prepare: Callable[[], None] | None = None
    description: str = ""

    def __call__(self, image: np.ndarray, target_svg: str) -> str:
        return self.fn(image, target_svg)


# -- built-in methods --------------------------------------------------------------------------


def _trace(image: np.ndarray, target_svg: str) -> str:
    from ..engines import vectorize

    return vectorize(image, engine="trace")


def _prepare_trace() -> None:
    import svgvl.engines  # noqa: F401 - imported once, before the forks
    import svgvl.trace  # noqa: F401


def _vtracer(image: np.ndarray, target_svg: str) -> str:
    from ..engines import vectorize

    return vectorize(image, engine="vtracer")


def _prepare_vtracer() -> None:
    _prepare_trace()
    try:
        import vtracer  # noqa: F401
    except ImportError:
        raise BenchError(
            "method 'vtracer' needs the vtracer package: pip install vtracer"
        ) from None


def _source(image: np.ndarray, target_svg: str) -> str:
    return target_svg


POTRACE_TIMEOUT = 600.0


def _prepare_potrace() -> None:
    if shutil.which("potrace") is None:
        raise BenchError(
            "method 'potrace' needs the potrace program on PATH (GPL; svgvl runs it, never links "
            "it): apt install potrace, brew install potrace, or https://potrace.sourceforge.net"
        )
    import svgvl.trace.palette  # noqa: F401


def _potrace(image: np.ndarray, target_svg: str) -> str:
    """Colour potrace: palette colours stacked bottom (largest area) to top, one trace each.

    Layer *r* is traced from the mask of its own colour *and every colour above it*, so upper
    layers paint over a solid base and no seams open between colours.  A white bottom colour is
    the canvas and is not drawn.
    """
    from ..trace.palette import assign, find_palette

    rgb = np.ascontiguousarray(np.asarray(image)[..., :3], dtype=np.uint8)
    height, width = rgb.shape[:2]
    usable = np.ones((height, width), dtype=bool)
    palette = find_palette(rgb, usable)
    labels = assign(rgb, usable, palette)
    count = len(palette.colors)
    area = np.bincount(labels[labels >= 0].ravel(), minlength=count)
    order = np.argsort(-area, kind="stable")
    rank = np.empty(max(count, 1), dtype=np.int64)
    rank[order] = np.arange(count)
    pixel_rank = np.where(labels >= 0, rank[np.maximum(labels, 0)], -1)
    transform, layers = "", []
    for level, index in enumerate(order):
        color = np.clip(np.rint(palette.colors[index]), 0, 255).astype(int)
        if level == 0 and color.min() >= 250:
            continue  # the white background is the canvas
        transform, path = _potrace_mask(pixel_rank >= level)
        if path:
            layers.append(f'<path fill="{hex_color(color)}" d="{path}"/>')
    body = f'<g transform="{transform}">{"".join(layers)}</g>' if layers else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{body}</svg>'
    )


_TRANSFORM = re.compile(rb'<g\s[^>]*transform="([^"]*)"')
_PATH_DATA = re.compile(rb'<path\s[^>]*\bd="([^"]*)"')


def _potrace_mask(mask: np.ndarray) -> tuple[str, str]:
    """Trace one bitmap (True = ink) with ``potrace --svg --flat``: ``(transform, path data)``."""
    height, width = mask.shape
    pbm = f"P4\n{width} {height}\n".encode() + np.packbits(mask, axis=1).tobytes()
    try:
        done = subprocess.run(
            ["potrace", "--svg", "--flat", "--output", "-"],
            input=pbm,
            capture_output=True,
            timeout=POTRACE_TIMEOUT,
        )
    except FileNotFoundError:
        raise BenchError("the potrace program is not on PATH") from None
    if done.returncode != 0:
        raise RuntimeError(
            f"potrace exited with status {done.returncode}: "
            f"{done.stderr.decode('utf-8', 'replace').strip()[-300:]}"
        )
    transform = _TRANSFORM.search(done.stdout)
    paths = _PATH_DATA.findall(done.stdout)
    data = " ".join(b" ".join(p.split()).decode("ascii") for p in paths)
    return (transform.group(1).decode("ascii") if transform else ""), data


def _starvector(model: str) -> Method:
    def prepare() -> None:
        # Load once here: a wrong path is one clear error, not a failure on every item.
        try:
            from ..engines.starvector import cached_model

            cached_model(model)
        except (ImportError, OSError, ValueError) as error:
            raise BenchError(f"method 'starvector:{model}': {error}") from None

    def call(image: np.ndarray, target_svg: str) -> str:
        from ..engines import vectorize

        return vectorize(image, engine="starvector", model=model)

    return Method(
        f"starvector:{model}",
        call,
        isolate=False,  # the model stays loaded in its process (and on its GPU) between items
        prepare=prepare,
        description="StarVector-style model (svgvl.vectorize engine 'starvector')",
    )


METHODS: dict[str, Method] = {
    "trace": Method("trace", _trace, prepare=_prepare_trace, description="svgvl's native tracer"),
    "vtracer": Method(
        "vtracer", _vtracer, prepare=_prepare_vtracer, description="vtracer, spline mode"
    ),
    "potrace": Method(
        "potrace",
        _potrace,
        prepare=_prepare_potrace,
        description="the potrace program, colour layers stacked",
    ),
    "source": Method(
        "source", _source, isolate=False, description="the target SVG itself (upper bound)"
    ),
}
"""Methods by name; :func:`register_method` adds to it."""

FAMILIES: dict[str, tuple[str, Callable[[str], Method]]] = {
    "starvector": ("PATH", _starvector),
}
"""Methods that take an argument, ``NAME:ARG`` (e.g. ``starvector:PATH``)."""


def register_method(
    name: str,
    fn: Callable[[np.ndarray, str], str] | None = None,
    *,
    isolate: bool = True,
    prepare: Callable[[], None] | None = None,
    description: str = "",
    replace: bool = False,
):
    """Add ``fn(image, target_svg) -> str`` to :data:`METHODS` as ``name``; returns the method.

    Without ``fn`` it is a decorator: ``@register_method("mine")``.
    """
    if fn is None:
        return lambda f: register_method(
            name, f, isolate=isolate, prepare=prepare, description=description, replace=replace
        )
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", name or "") or name in FAMILIES:
        raise ValueError(
            f"invalid method name {name!r}: use letters, digits, '.', '_', '+' and '-' "
            "(':' is kept for NAME:ARG and package.module:function)"
        )
    if name in METHODS and not replace:
        raise ValueError(f"method {name!r} is already registered; pass replace=True to replace it")
    method = Method(name, fn, isolate=isolate, prepare=prepare, description=description)
    METHODS[name] = method
    return method


def method_names() -> list[str]:
    """What ``--methods`` accepts, for help and error messages."""
    return [
        *METHODS,
        *(f"{name}:{arg}" for name, (arg, _) in FAMILIES.items()),
        "package.module:function",
    ]


_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def resolve_method(spec) -> Method:
    """A :class:`Method` from a name, ``NAME:ARG``, ``package.module:function``, a Method or a
    plain callable; :class:`BenchError` listing the valid names otherwise."""
    if isinstance(spec, Method):
        return spec
    if callable(spec):
        return Method(getattr(spec, "__name__", None) or "custom", spec)
    text = str(spec).strip()
    if text in METHODS:
        return METHODS[text]
    head, colon, tail = text.partition(":")
    if colon and head in FAMILIES:
        arg, make = FAMILIES[head]
        if not tail:
            raise BenchError(f"method {head!r} needs {arg}: {head}:{arg}")
        return make(tail)
    if head in FAMILIES:
        raise BenchError(f"method {head!r} needs {FAMILIES[head][0]}: {head}:{FAMILIES[head][0]}")
    if colon and _DOTTED.fullmatch(head) and _DOTTED.fullmatch(tail):
        return _import_method(text, head, tail)
    raise BenchError(f"unknown method {text!r}; choose from: {', '.join(method_names())}")


def _import_method(spec: str, module_name: str, attribute: str) -> Method:
    if os.getcwd() not in sys.path:  # as `python -m` would: the user's own modules are found
        sys.path.append(os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise BenchError(
            f"method {spec!r}: cannot import {module_name} ({type(error).__name__}: {error})"
        ) from None
    target = module
    for part in attribute.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise BenchError(f"method {spec!r}: {module_name} has no {attribute}")
    if isinstance(target, Method):
        return target
    if not callable(target):
        raise BenchError(f"method {spec!r}: {attribute} is not callable")
    return Method(spec, target)
