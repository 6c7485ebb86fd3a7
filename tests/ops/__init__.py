"""Tests of ``kaolin_pipeline.ops``."""
