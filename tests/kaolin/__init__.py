"""Tests of the Kaolin-compatible layer (``kaolin_pipeline.kaolin``, errors, ``kaolin_pipeline.testing``)."""
