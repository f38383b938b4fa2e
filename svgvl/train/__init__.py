"""Training on accelerate: one module per model (``iconshop``, ``starvector``) over the shared
loop parts in ``loop`` (config reading, the optimizer step, logs, the final model folder).

    from svgvl.train.iconshop import train       # svgvl train iconshop --config ... --data ... --out ...

Only the standard library is imported here, so ``import svgvl.train`` stays light.
"""
