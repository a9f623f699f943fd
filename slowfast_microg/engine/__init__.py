"""Training and testing engine: loops, optimisation, checkpointing and launch."""

from slowfast_microg.engine.launch import launch_job, main, run_tasks
from slowfast_microg.engine.tester import test
from slowfast_microg.engine.trainer import train

__all__ = ["launch_job", "main", "run_tasks", "test", "train"]
