"""kaolin-pipeline: 3D data into PyTorch tensors, a pure-PyTorch DIB-R renderer, Kaolin-style exports."""

__version__ = "0.1.0"
