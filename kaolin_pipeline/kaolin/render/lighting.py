"""``kaolin.render.lighting``: none of Kaolin's ``sh9_*`` or spherical-Gaussian functions is implemented here.

This project's 9-coefficient SH lighting is Kaolin's legacy ``kaolin.render.mesh.spherical_harmonic_lighting``;
asking this module for a Kaolin name raises an ``AttributeError`` that says so.
"""
from kaolin_pipeline.kaolin._missing import missing_names

__all__: list = []
__getattr__ = missing_names(__name__, ["(none; see kaolin.render.mesh.spherical_harmonic_lighting)"])
