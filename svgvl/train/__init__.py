"""Training on accelerate: one module per model's run (``iconshop``, ``starvector``) over the
shared loop parts in ``loop`` (config reading, the optimizer step, logs, cadence, the final model
folder); each model's data in its own module (``icon_data``, ``svg_code_data``).

    from svgvl.train.iconshop import train       # svgvl train iconshop --config ... --data ... --out ...

Only the standard library is imported here, so ``import svgvl.train`` stays light.
"""
