"""World coordinate systems as basis changes for ``CameraExtrinsics.change_coordinate_system``."""
import torch

__all__ = ["blender_coords", "opengl_coords"]


def blender_coords() -> torch.Tensor:
    """(3, 3) basis change from Kaolin's y-up world to Blender's z-up, right-handed world."""
    return torch.tensor([[1, 0, 0], [0, 0, 1], [0, -1, 0]])


def opengl_coords() -> torch.Tensor:
    """(3, 3) identity: Kaolin's world axes are OpenGL's (y up, right-handed)."""
    return torch.eye(3, dtype=torch.long)
