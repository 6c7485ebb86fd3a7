"""Logging to stdout for scripts and notebooks, following Kaolin's ``kaolin.utils.log``.

:func:`default_log_setup` sends every logger's records at ``level`` and above to stdout (replacing the root
logger's handlers by default) and keeps PIL's and matplotlib's chatter at INFO when ``level`` is DEBUG.
:func:`log_tensor` and :func:`print_tensor` describe a tensor in one line (:func:`kaolin_pipeline.testing.tensor_info`).
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Optional

from kaolin_pipeline.testing import tensor_info

__all__ = ["add_log_level_flag", "default_log_setup", "log_tensor", "print_tensor"]

_QUIET_AT_DEBUG = ("PIL", "PIL.Image", "PIL.PngImagePlugin", "matplotlib.font_manager", "matplotlib.axes._base",
                   "matplotlib.pyplot")


def default_log_setup(level: int = logging.INFO, force: bool = True) -> None:
    """Log records of ``level`` and above, from every logger, to stdout as ``time|LEVEL|name| message``;
    ``force`` replaces the root logger's existing handlers."""
    logging.basicConfig(level=level, format="%(asctime)s|%(levelname)8s|%(name)15s| %(message)s",
                        handlers=[logging.StreamHandler(sys.stdout)], force=force)
    logging.getLogger().setLevel(level)
    if level < logging.INFO:
        for name in _QUIET_AT_DEBUG:
            logging.getLogger(name).setLevel(logging.INFO)


def add_log_level_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--log_level`` (an int, default ``logging.INFO`` = 20) to ``parser``."""
    parser.add_argument("--log_level", type=int, default=logging.INFO,
                        help="logging level: DEBUG 10, INFO 20, WARNING 30, ERROR 40")


def log_tensor(t: Any, name: str, use_logger: Optional[logging.Logger] = None, level: int = logging.DEBUG,
               print_stats: bool = False, detailed: bool = False) -> None:
    """Log ``tensor_info(t, name, ...)`` (shape, dtype, optional statistics) at ``level``."""
    (use_logger or logging.getLogger(__name__)).log(level, tensor_info(t, name, print_stats=print_stats,
                                                                       detailed=detailed))


def print_tensor(t: Any, name: str, print_stats: bool = False, detailed: bool = False) -> None:
    """Print ``tensor_info(t, name, ...)`` to stdout."""
    print(tensor_info(t, name, print_stats=print_stats, detailed=detailed))
