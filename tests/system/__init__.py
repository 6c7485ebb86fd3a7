"""Whole-program tests: install, imports, README, tutorial, CLI and doctor, crash recovery, browser pages."""
