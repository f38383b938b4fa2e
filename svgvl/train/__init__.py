"""Training loops on accelerate: one module per model (``iconshop``, ``starvector``).

    from svgvl.train.iconshop import train       # svgvl train iconshop --config ... --data ... --out ...

Nothing is imported here, so ``import svgvl.train`` stays light.
"""
