"""Tests of ``kaolin_pipeline.visualize``."""
