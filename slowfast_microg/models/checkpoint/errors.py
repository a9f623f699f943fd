"""The error raised for checkpoints that cannot be read or used."""


class CheckpointError(RuntimeError):
    """A checkpoint file that is missing, corrupt, unsafe or incompatible; names the file."""
