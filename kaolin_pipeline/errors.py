"""One exception hierarchy for every failure a user can cause.

Each message names the file, key or argument at fault and says what is wrong.
The CLI catches :class:`PipelineError`, prints its message on one line and
exits with status 2; anything else is an internal bug and is not caught.

Each class also derives from the builtin exception Kaolin raises in the same
situation, so ``except`` clauses written for Kaolin keep working here:

============================  ==========================================================
class                         also a
============================  ==========================================================
:class:`PipelineError`        ``ValueError`` (a bad argument: Kaolin's ops raise it)
:class:`ArgumentTypeError`    ``TypeError`` (an argument of the wrong type or dtype, as Kaolin's ops check)
:class:`ArgumentRangeError`   ``AssertionError`` (a count out of range where Kaolin asserts: ``farthest_point_sampling``)
:class:`ArgumentShapeError`   ``RuntimeError`` (tensor shapes that do not fit together where Kaolin's kernels check
                              them: ``sided_distance``)
:class:`LoadError`            ``ValueError`` (Kaolin's readers: bad prim, malformed file)
:class:`MissingFileError`     a :class:`LoadError` and ``FileNotFoundError`` (Kaolin's readers on a missing file)
:class:`SaveError`            ``OSError`` (Kaolin's writers: file exists, cannot write)
                              (``OverwriteRefusedError``: also ``RuntimeError``, as Kaolin's PLY splat writer)
:class:`ConfigError`          ``ValueError``
:class:`CheckpointError`      ``RuntimeError`` (``torch.load`` on a bad file)
:class:`RenderError`          ``ValueError`` (Kaolin's rasterizers: bad backend, shapes)
:class:`TrainingError`        ``RuntimeError``
:class:`StaleCacheError`      ``RuntimeError`` and ``AssertionError`` (Kaolin's ``CachedDataset``: a folder
                              that does not fit the dataset)
:class:`MaterialError`        ``LoadError`` and ``UserWarning``: ``MaterialFileError``, ``MaterialNotFoundError``,
                              ``MaterialLoadError`` (Kaolin's OBJ material errors; loaders warn with them)
============================  ==========================================================
"""


class PipelineError(ValueError):
    """Base class of every error a user of the pipeline can cause; raised itself for a bad argument."""


class ArgumentTypeError(PipelineError, TypeError):
    """An argument has the wrong Python type or tensor dtype."""


class ArgumentRangeError(PipelineError, AssertionError):
    """An argument is outside its allowed range where Kaolin checks it with ``assert``."""


class ArgumentShapeError(PipelineError, RuntimeError):
    """Tensor arguments whose shapes do not fit together, where Kaolin's kernels raise ``RuntimeError``."""


class LoadError(PipelineError):
    """A file could not be read into tensors (missing, corrupt, unsupported, invalid values)."""


class MissingFileError(LoadError, FileNotFoundError):
    """A file to read does not exist: ``except LoadError`` and ``except OSError`` (as written for Kaolin) both catch it."""


class SaveError(PipelineError, OSError):
    """Tensors could not be written to a file."""


class ConfigError(PipelineError):
    """A configuration key or value is unknown or invalid."""


class CheckpointError(PipelineError, RuntimeError):
    """A checkpoint is missing, truncated, foreign or unsafe to load."""


class RenderError(PipelineError):
    """Arguments given to the renderer have the wrong shape, dtype or value."""


class TrainingError(PipelineError, RuntimeError):
    """Training cannot go on (for example a non-finite loss)."""


class MaterialError(LoadError, UserWarning):
    """A mesh's material cannot be read. Loaders go on without it and emit this class as a warning
    category; Kaolin's OBJ error handlers receive it as an error (``default_error_handler`` raises it)."""


class MaterialFileError(MaterialError):
    """A material library (MTL file) named by a mesh is missing or unreadable."""


class MaterialNotFoundError(MaterialError):
    """Faces use a material that no material library defines."""


class MaterialLoadError(MaterialError):
    """A material's texture image is missing or unreadable."""


class NonHomogeneousMeshError(LoadError):
    """A mesh mixes faces of different corner counts and no handler was given to make them uniform."""


class OutputExistsError(SaveError, FileExistsError):
    """The output file exists and overwriting was not asked for (Kaolin raises ``FileExistsError``)."""


class OverwriteRefusedError(OutputExistsError, RuntimeError):
    """The output file exists and overwriting was not asked for, where Kaolin raises ``RuntimeError``
    (``kaolin.io.ply.export_gaussiancloud``)."""


class StaleCacheError(PipelineError, RuntimeError, AssertionError):
    """A cache folder holds files that do not fit the dataset being cached (another size, other values); Kaolin's
    ``CachedDataset`` raises ``RuntimeError`` for the size and ``AssertionError`` for the values."""
