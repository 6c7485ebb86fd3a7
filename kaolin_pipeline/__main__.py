"""``python -m kaolin_pipeline``: the same as the ``kaolin-pipeline`` command."""
import sys

from kaolin_pipeline.cli import main

sys.exit(main())
