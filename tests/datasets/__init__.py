"""Tests of ``kaolin_pipeline.datasets`` and of the Data Generator (``kaolin_pipeline.datagen``)."""
