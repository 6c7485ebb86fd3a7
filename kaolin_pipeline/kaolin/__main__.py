"""``python -m kaolin_pipeline.kaolin SCRIPT.py [args]`` (or ``-m MODULE [args]``): run code written for Kaolin
with ``import kaolin`` resolving to :mod:`kaolin_pipeline.kaolin`, and freed memory kept in the process
(:func:`kaolin_pipeline.allocator.keep_freed_memory`: Kaolin's training loops reuse large tensors every step)."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

from kaolin_pipeline.allocator import keep_freed_memory
from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.kaolin import alias

USAGE = "usage: python -m kaolin_pipeline.kaolin SCRIPT.py [args...] | -m MODULE [args...]"


def main(argv: list[str]) -> int:
    """Run the script or module named in ``argv``; returns the exit status for our own failures."""
    if not argv or argv[0] in ("-h", "--help") or (argv[0] == "-m" and len(argv) < 2):
        print(USAGE, file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        alias.install()
    except PipelineError as error:
        print(f"kaolin_pipeline.kaolin: {error}", file=sys.stderr)
        return 2
    keep_freed_memory()
    if argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = Path(argv[0])
    if not script.is_file():
        print(f"kaolin_pipeline.kaolin: {script}: no such script", file=sys.stderr)
        return 2
    sys.argv = [str(script), *argv[1:]]
    sys.path.insert(0, str(script.resolve().parent))
    runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
