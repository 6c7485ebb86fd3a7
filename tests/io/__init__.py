"""Tests of ``kaolin_pipeline.io``."""
