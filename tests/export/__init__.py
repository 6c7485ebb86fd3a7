"""Tests of ``kaolin_pipeline.export``."""
