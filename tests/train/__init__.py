"""Tests of ``kaolin_pipeline.train``: config, recipes, loop, models, and the run folders they write."""
