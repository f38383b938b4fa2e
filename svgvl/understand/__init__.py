"""Understanding SVG: a shared SVG–text space (embed, search, classify) and descriptions of
what a drawing shows."""
