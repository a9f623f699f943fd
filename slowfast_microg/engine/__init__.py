"""Training and testing engine: loops, optimisation, checkpointing and launch."""
