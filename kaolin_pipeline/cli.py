"""The ``kaolin-pipeline`` command: a thin layer over the Python API.

Every verb calls library functions a user can call from Python. A
:class:`~kaolin_pipeline.errors.PipelineError` becomes one line on stderr and exit
status 2 (``--debug`` shows the traceback instead).
"""
from __future__ import annotations

import argparse
import sys

from kaolin_pipeline.errors import PipelineError


def _cmd_doctor(args) -> int:
    from kaolin_pipeline.doctor import report

    print(report())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kaolin-pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    doctor = verbs.add_parser("doctor", help="versions of dependencies and which optional parts work")
    doctor.set_defaults(run=_cmd_doctor)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except PipelineError as exc:
        if args.debug:
            raise
        print(f"kaolin-pipeline: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kaolin-pipeline: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
