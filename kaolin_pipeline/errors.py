"""One exception hierarchy for every failure a user can cause.

Each message names the file, key or argument at fault and says what is wrong.
The CLI catches :class:`PipelineError`, prints its message on one line and
exits with status 2; anything else is an internal bug and is not caught.
"""


class PipelineError(Exception):
    """Base class of every error a user of the pipeline can cause."""


class LoadError(PipelineError):
    """A file could not be read into tensors (missing, corrupt, unsupported, invalid values)."""


class SaveError(PipelineError):
    """Tensors could not be written to a file."""


class ConfigError(PipelineError):
    """A configuration key or value is unknown or invalid."""


class CheckpointError(PipelineError):
    """A checkpoint is missing, truncated, foreign or unsafe to load."""


class RenderError(PipelineError):
    """Arguments given to the renderer have the wrong shape, dtype or value."""


class TrainingError(PipelineError):
    """Training cannot go on (for example a non-finite loss)."""
