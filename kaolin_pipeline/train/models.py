"""Learnable parts of the recipes.

* :class:`MeshFitModel` (``fit``): per-vertex offsets of a template mesh plus a UV
  texture or per-vertex colours, as in Kaolin's DIB-R tutorial.
* :class:`ReconstructionNet` (``train``/``eval``): the single-image reconstruction
  network of the DIB-R paper, an RGBA image to the offsets and colours of a sphere.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import nn

from kaolin_pipeline.errors import ConfigError

COLOR_MODES = ("texture", "vertex_colors")
NORM_LAYERS = ("batch", "group", "none")


class MeshFitModel(nn.Module):
    """A template deformed by learnable offsets, coloured by a learnable texture or vertex colours.

    The vertices are ``template + S(offsets)``: ``S`` is the identity (Kaolin's tutorial) or a
    smoothing operator such as :class:`~kaolin_pipeline.ops.large_steps.LargeSteps`, ``(I + λL)⁻¹``
    (the large-steps reparametrisation of Nicolet et al. 2021), which turns the gradient of each
    vertex into a smooth field over its neighbourhood. ``S`` is rebuilt from the template, never saved.

    Args:
        template: (V, 3) float template vertices (already scaled).
        color: ``"texture"`` (a ``(1, 3, R, R)`` texture sampled with the template's UVs) or ``"vertex_colors"``.
        texture_resolution: R.
        smoothing: optional callable (V, 3) → (V, 3); None is the identity.

    Attributes:
        offsets: (V, 3) parameter, zero at the start.
        texture: (1, 3, R, R) parameter (``color="texture"``) or None.
        vertex_colors: (V, 3) parameter (``color="vertex_colors"``) or None.
    """

    def __init__(self, template: torch.Tensor, color: str = "texture", texture_resolution: int = 128,
                 smoothing: Optional[Callable[[torch.Tensor], torch.Tensor]] = None):
        super().__init__()
        if color not in COLOR_MODES:
            raise ConfigError(f"template.color must be one of {COLOR_MODES}, got {color!r}")
        if texture_resolution < 1:
            raise ConfigError(f"template.texture_resolution must be positive, got {texture_resolution}")
        self.register_buffer("template", template.detach().clone())
        self.offsets = nn.Parameter(torch.zeros_like(template))
        self.smoothing = smoothing
        self.register_load_state_dict_pre_hook(_drop_saved_smoothing)
        grey = 0.5
        self.texture: Optional[nn.Parameter] = None
        self.vertex_colors: Optional[nn.Parameter] = None
        if color == "texture":
            self.texture = nn.Parameter(torch.full((1, 3, texture_resolution, texture_resolution), grey,
                                                   dtype=template.dtype, device=template.device))
        else:
            self.vertex_colors = nn.Parameter(torch.full_like(template, grey))

    def forward(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The current mesh: vertices (1, V, 3) and its colour, texture (1, 3, R, R) or vertex colours (1, V, 3)."""
        color = self.texture if self.texture is not None else self.vertex_colors.unsqueeze(0)
        return (self.template + self.displacement()).unsqueeze(0), color

    def displacement(self) -> torch.Tensor:
        """(V, 3) the current vertices minus the template: ``S(offsets)``."""
        return self.offsets if self.smoothing is None else self.smoothing(self.offsets)

    def appearance_parameters(self) -> list[nn.Parameter]:
        """The colour parameters (optimised with their own learning rate)."""
        return [p for p in (self.texture, self.vertex_colors) if p is not None]


def _drop_saved_smoothing(module, state_dict, prefix, *args) -> None:
    """Checkpoints written before the smoothing was sparse hold its dense (V, V) matrix; it is rebuilt instead."""
    state_dict.pop(prefix + "smoothing", None)


def _norm(kind: str, channels: int, flat: bool) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(channels) if flat else nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(min(32, channels // 4), channels)
    return nn.Identity()


class ReconstructionNet(nn.Module):
    """DIB-R's single-image mesh predictor.

    An encoder of three 5x5 stride-2 convolutions (64, 128, 256 channels; normalisation
    + ReLU) and two fully connected layers of 1024 features, then two linear heads:
    per-vertex offsets of the template sphere and per-vertex colours (sigmoid).

    Args:
        template: (V, 3) template vertices.
        image_size: side of the square RGBA input (a multiple of 8; 64 in the paper).
        channels: convolution widths.
        hidden: width of the fully connected layers.
        norm: ``"batch"`` (the paper), ``"group"`` (batch-size independent) or ``"none"``.
        smoothing: optional (V, V) matrix ``S`` applied to the predicted offsets (``S @ offsets``),
            such as the large-steps ``(I - λL)⁻¹`` of :func:`~kaolin_pipeline.ops.smoothing_matrix`;
            None predicts the offsets directly (the paper).
    """

    def __init__(self, template: torch.Tensor, image_size: int = 64, channels=(64, 128, 256),
                 hidden: int = 1024, norm: str = "batch", smoothing: Optional[torch.Tensor] = None):
        super().__init__()
        if norm not in NORM_LAYERS:
            raise ConfigError(f"model.norm must be one of {NORM_LAYERS}, got {norm!r}")
        if image_size < 8 or image_size % 8:
            raise ConfigError(f"model.image_size must be a positive multiple of 8, got {image_size}")
        self.register_buffer("template", template.detach().clone())
        self.smoothing: Optional[torch.Tensor]
        self.register_buffer("smoothing", None if smoothing is None else smoothing.detach().to(template).clone(),
                             persistent=False)
        layers, width = [], 4
        for out in channels:
            layers += [nn.Conv2d(width, out, 5, stride=2, padding=2, bias=norm == "none"),
                       _norm(norm, out, flat=False), nn.ReLU(inplace=True)]
            width = out
        self.encoder = nn.Sequential(*layers, nn.Flatten())
        features = width * (image_size // 2 ** len(channels)) ** 2
        self.fc = nn.Sequential(
            nn.Linear(features, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
        )
        num_outputs = template.numel()
        self.offset_head = nn.Linear(hidden, num_outputs)
        self.color_head = nn.Linear(hidden, num_outputs)
        nn.init.normal_(self.offset_head.weight, std=1e-3)
        nn.init.zeros_(self.offset_head.bias)
        self.image_size = image_size

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Predict meshes from images.

        Args:
            images: (B, 4, S, S) RGBA in [0, 1].

        Returns:
            vertices (B, V, 3) and vertex colours (B, V, 3) in [0, 1].
        """
        if images.dim() != 4 or images.shape[1:] != (4, self.image_size, self.image_size):
            raise ConfigError(f"ReconstructionNet expects images of shape (B, 4, {self.image_size}, "
                              f"{self.image_size}), got {tuple(images.shape)}")
        code = self.fc(self.encoder(images))
        batch = images.shape[0]
        offsets = self.offset_head(code).view(batch, *self.template.shape)
        if self.smoothing is not None:
            offsets = self.smoothing @ offsets
        colors = torch.sigmoid(self.color_head(code)).view(batch, *self.template.shape)
        return self.template + offsets, colors
