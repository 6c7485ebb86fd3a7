"""Tests of ``kaolin_pipeline.render``."""
