"""kaolin-pipeline's tests: one package per ``kaolin_pipeline`` package, plus ``system`` for whole-program tests.

These are packages (not bare folders) so that no test folder lands on ``sys.path`` under its bare name: a
top-level ``tests/kaolin`` folder on the path would import as a namespace package named ``kaolin`` and pass
for a real Kaolin install. The shared helper modules live in ``tests/helpers``, which pytest puts on the path
(``pythonpath`` in pyproject.toml), so tests import them by their bare names.
"""
