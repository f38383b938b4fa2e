"""How well the SVG–text space understands held-out icons: retrieval and zero-shot labels.

Everything is measured on the **test split** of prepared embedding data
(:func:`svgvl.train.embed_data.prepare`; the model never trained on it, nor on training copies
of its drawings), drawings rendered on white as search sees them.

- **Retrieval**: galleries of up to ``gallery`` test icons (each source alone, and all sources
  mixed), seeded.  text → icon: the query is an icon's title; a hit is that icon, or another in
  the gallery with the very same title (the text cannot tell them apart).  icon → text: the
  icon's title among the gallery's distinct titles.  Recall@1/5/10.
- **Baselines in the same table**: random ranking; and nearest neighbour on raw pixels through
  the training split — text → icon ranks the gallery by pixel likeness to the training icon whose
  title is nearest the query (frozen text encoder), icon → text takes the title of the training
  icon nearest in pixels and ranks the gallery titles by text likeness to it.
- **Zero-shot**: for sources whose icons carry categories, each test icon is labelled among all
  of the source's categories (prompt ensemble, :func:`svgvl.understand.search.label_vectors`);
  top-1 and top-5 against always answering the most frequent categories, and the balanced
  top-1 (mean recall per category) against its chance, 1 / the categories present.  The
  categories were among the training icons' texts (IconShop-style keywords), so this is
  zero-shot for the test icons, not for the label words.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..train.embed_data import on_white

KS = (1, 5, 10)
PIXEL_SIZE = 32  # raw-pixel baseline: grey levels at 32 px


def _grey(images: np.ndarray) -> np.ndarray:
    """Unit vectors of centred grey levels at PIXEL_SIZE, for the raw-pixel baseline."""
    white = on_white(images).mean(-1)
    n, s = white.shape[:2]
    step = s // PIXEL_SIZE
    small = white.reshape(n, PIXEL_SIZE, step, PIXEL_SIZE, step).mean((2, 4)).reshape(n, -1)
    small = small - small.mean(1, keepdims=True)
    return small / np.maximum(np.linalg.norm(small, axis=1, keepdims=True), 1e-6)


def recalls(scores: np.ndarray, correct: np.ndarray) -> dict:
    """Recall@k of queries (rows of ``scores``) whose correct columns ``correct`` marks."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, : max(KS)]
    hits = np.take_along_axis(correct, order, axis=1)
    return {f"R@{k}": float(hits[:, :k].any(1).mean()) for k in KS}


def _gallery_scores(model_img, model_txt, pix, train_pix, train_txt, query_txt, titles, rng):
    """Scores of every method for one gallery, both directions: {method: (t2i, i2t)}."""
    distinct = sorted(set(titles))
    column = {t: j for j, t in enumerate(distinct)}
    same = np.array(titles)[:, None] == np.array(titles)[None, :]
    own = np.zeros((len(titles), len(distinct)), bool)
    own[np.arange(len(titles)), [column[t] for t in titles]] = True
    title_rows = np.array([titles.index(t) for t in distinct])

    out = {}
    t2i = model_txt @ model_img.T
    i2t = model_img @ model_txt[title_rows].T
    out["svgvl embed"] = (recalls(t2i, same), recalls(i2t, own))
    out["random"] = (
        recalls(rng.random(t2i.shape), same),
        recalls(rng.random(i2t.shape), own),
    )
    # Raw pixels through the training split.
    nearest_train = (query_txt @ train_txt.T).argmax(1)  # training icon whose title is nearest
    t2i_pix = train_pix[nearest_train] @ pix.T
    nearest_by_pixels = (pix @ train_pix.T).argmax(1)
    i2t_pix = train_txt[nearest_by_pixels] @ query_txt[title_rows].T
    out["raw pixels (nearest training icon)"] = (recalls(t2i_pix, same), recalls(i2t_pix, own))
    return out


def run(prepared, model=None, *, gallery: int = 1000, seed: int = 0, min_source: int = 100) -> dict:
    """Retrieval and zero-shot scores of ``model`` (default: the shipped one) on the test split
    of the ``prepared`` folder; see the module docstring."""
    from ..train.embed_data import Prepared
    from ..understand.embed import label_vectors, load_embedder

    store = Prepared(prepared)
    embedder = load_embedder(model)
    test, train = store.split("test"), store.split("train")
    if not len(test):
        raise ValueError(f"{prepared}: no test icons")
    rng = np.random.default_rng(seed)
    sources = Counter(store.items[n]["source"] for n in test)

    embed_img = embedder.embed_pixels(on_white(np.asarray(store.images[test])))
    titles_all = [store.items[n]["title"] for n in test]
    embed_txt = embedder.embed_texts(titles_all)
    frozen_txt = np.asarray(store.texts[test, 0], np.float32)  # the frozen encoder's title vectors
    pix = _grey(np.asarray(store.images[test]))
    sample = rng.choice(train, size=min(len(train), 20000), replace=False) if len(train) else train
    train_pix = _grey(np.asarray(store.images[np.sort(sample)]))
    train_txt = np.asarray(store.texts[np.sort(sample), 0], np.float32)

    galleries = {"mixed": np.arange(len(test))}
    for source, count in sorted(sources.items()):
        if count >= min_source:
            galleries[source] = np.array(
                [i for i, n in enumerate(test) if store.items[n]["source"] == source]
            )
    retrieval = {}
    for name, rows in galleries.items():
        if len(rows) > gallery:
            rows = np.sort(rng.choice(rows, size=gallery, replace=False))
        titles = [titles_all[i] for i in rows]
        scores = _gallery_scores(
            embed_img[rows],
            embed_txt[rows],
            pix[rows],
            train_pix,
            train_txt,
            frozen_txt[rows],
            titles,
            rng,
        )
        retrieval[name] = {"n": len(rows), "methods": scores}

    zero_shot = {}
    for source in sorted(sources):
        rows = [n for n in range(len(store.items)) if store.items[n]["source"] == source]
        categories = sorted({store.items[n]["category"] for n in rows} - {""})
        picked = [
            i
            for i, n in enumerate(test)
            if store.items[n]["source"] == source and store.items[n]["category"]
        ]
        if len(categories) < 2 or len(picked) < 20:
            continue
        truth = np.array([categories.index(store.items[test[i]]["category"]) for i in picked])
        scores = embed_img[picked] @ label_vectors(embedder, categories).T
        order = np.argsort(-scores, axis=1)
        counts = Counter(truth.tolist())
        common = [c for c, _ in counts.most_common(5)]
        zero_shot[source] = {
            "n": len(picked),
            "categories": len(categories),
            "top1": float((order[:, 0] == truth).mean()),
            "top5": float((order[:, :5] == truth[:, None]).any(1).mean()),
            "majority_top1": counts.most_common(1)[0][1] / len(picked),
            # Mean of the per-category recalls: a set where one category holds most icons
            # (emoji: people) makes the majority answer look strong; this one it cannot game.
            "balanced_top1": float(np.mean([(order[truth == c, 0] == c).mean() for c in counts])),
            "balanced_chance": 1 / len(counts),
            "majority_top5": float(np.isin(truth, common).mean()),
        }
    return {
        "model": embedder.name,
        "gallery": gallery,
        "seed": seed,
        "test_icons": len(test),
        "retrieval": retrieval,
        "zero_shot": zero_shot,
    }


def markdown(result: dict) -> str:
    """The retrieval and zero-shot tables."""
    lines = [
        "| gallery | n | method | text→icon R@1 | R@5 | R@10 | icon→text R@1 | R@5 | R@10 |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, entry in result["retrieval"].items():
        for method, (t2i, i2t) in entry["methods"].items():
            cells = [f"{t2i[f'R@{k}']:.3f}" for k in KS] + [f"{i2t[f'R@{k}']:.3f}" for k in KS]
            lines.append(f"| {name} | {entry['n']} | {method} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| source | test icons | categories | top-1 | top-5 | majority top-1 | majority top-5 "
        "| balanced top-1 | its chance |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for source, z in result["zero_shot"].items():
        lines.append(
            f"| {source} | {z['n']} | {z['categories']} | {z['top1']:.3f} | {z['top5']:.3f} | "
            f"{z['majority_top1']:.3f} | {z['majority_top5']:.3f} | {z['balanced_top1']:.3f} | "
            f"{z['balanced_chance']:.3f} |"
        )
    return "\n".join(lines) + "\n"
