"""A cloud of 3D Gaussian splats, with the attributes and checks of Kaolin's ``kaolin.rep.GaussianSplatModel``.

Attributes are stored after activation, in their final range:

=================  ======================  ==============================================================
attribute          shape                   meaning
=================  ======================  ==============================================================
``positions``      ``(N, 3)``              splat centres
``orientations``   ``(N, 4)``              unit quaternions ``(w, x, y, z)`` (normalised on construction)
``scales``         ``(N, 3)``              per-axis scale
``opacities``      ``(N,)``                opacity in [0, 1]
``sh_coeff``       ``(N, S, 3)``           spherical-harmonics coefficients, ``S = (sh_degree + 1) ** 2``
``features``       ``(N, ...)`` or dict    optional per-splat features (a tensor, or a dict of ``(N, ...)``)
``transform``      ``(4, 4)``, ``(1, 4, 4)``  optional affine transform, stored and not applied
                   or ``(N, 4, 4)``
``sh_degree``      int                     inferred from ``sh_coeff`` when not given
=================  ======================  ==============================================================

The base :class:`~kaolin_pipeline.tensor_container.TensorContainerBase` moves, casts, lists, describes and
checks them (``to``, ``cpu``, ``as_dict``, ``check_sanity``, ...). Kaolin's splat-specific editing methods
(``cat``, masked ``[]``, ``as_transformed``) are not provided.
"""
from __future__ import annotations

import logging
import math
from typing import Dict, List, Optional, Union

import torch

from kaolin_pipeline.errors import PipelineError
from kaolin_pipeline.tensor_container import TensorContainerBase
from kaolin_pipeline.testing import check_tensor

__all__ = ["GaussianSplatModel"]

logger = logging.getLogger(__name__)


class GaussianSplatModel(TensorContainerBase):
    """``N`` Gaussian splats; see the module docstring for the attributes and their shapes.

    Raises :class:`~kaolin_pipeline.errors.PipelineError` (a ``ValueError``) when ``strict_checks`` is on and an
    attribute has the wrong type or shape (the failing attributes are logged), or when ``sh_coeff`` does not hold
    a square number of coefficients.
    """

    @classmethod
    def class_tensor_attributes(cls) -> List[str]:
        return ["positions", "orientations", "scales", "opacities", "sh_coeff", "features", "transform"]

    @classmethod
    def class_other_attributes(cls) -> List[str]:
        return ["sh_degree"]

    @classmethod
    def class_point_attributes(cls) -> List[str]:
        """The tensor attributes with one value per splat (first dimension ``N``)."""
        return ["positions", "features", "orientations", "scales", "opacities", "sh_coeff"]

    def __init__(self, positions: torch.Tensor, orientations: torch.Tensor, scales: torch.Tensor,
                 opacities: torch.Tensor, sh_coeff: torch.Tensor,
                 features: Optional[Union[torch.Tensor, Dict[str, torch.Tensor]]] = None,
                 transform: Optional[torch.Tensor] = None, sh_degree: Optional[int] = None,
                 strict_checks: bool = True) -> None:
        self.positions = positions
        self.orientations = torch.nn.functional.normalize(orientations)
        self.scales = scales
        self.opacities = opacities
        self.sh_coeff = sh_coeff
        self.features = features
        self.transform = transform
        self.sh_degree = self.compute_sh_degree(sh_coeff.shape[1]) if sh_degree is None else sh_degree
        if strict_checks and not self.check_sanity():
            raise PipelineError(f"{type(self).__name__}: invalid attributes (see the log for which)")

    def __len__(self) -> int:
        return self.positions.shape[0]

    @staticmethod
    def compute_sh_degree(num_sh_coeff: int) -> int:
        """The degree ``L`` of ``num_sh_coeff = (L + 1) ** 2`` coefficients; :class:`PipelineError` if not a square."""
        root = math.isqrt(num_sh_coeff)
        if root * root != num_sh_coeff or root == 0:
            raise PipelineError(f"sh_coeff: {num_sh_coeff} coefficients per splat is not (sh_degree + 1) ** 2")
        return root - 1

    @staticmethod
    def compute_num_sh_coeff(sh_degree: int) -> int:
        """``(sh_degree + 1) ** 2``, the number of coefficients per colour channel."""
        return (sh_degree + 1) ** 2

    def _expected_shape(self, attr: str):
        n = len(self)
        return {"positions": (n, 3), "orientations": (n, 4), "scales": (n, 3), "opacities": (n,),
                "sh_coeff": (n, self.compute_num_sh_coeff(self.sh_degree), 3)}.get(attr)

    def check_tensor_attribute(self, attr: str, log_error: bool = False) -> bool:
        """True if ``attr`` has its shape from the module docstring (``features``: first dimension ``N``)."""
        value = getattr(self, attr)
        if attr == "features":
            items = value.values() if isinstance(value, dict) else [value]
            valid = all(torch.is_tensor(item) and item.dim() > 0 and item.shape[0] == len(self) for item in items)
        elif attr == "transform":
            valid = torch.is_tensor(value) and any(
                check_tensor(value, shape=shape, throw=False) for shape in ((4, 4), (1, 4, 4), (len(self), 4, 4)))
        else:
            valid = torch.is_tensor(value) and check_tensor(value, shape=self._expected_shape(attr), throw=False)
        if not valid and log_error:
            expected = self._expected_shape(attr) or ("(4, 4), (1, 4, 4) or (N, 4, 4)" if attr == "transform"
                                                      else "(N, ...)")
            logger.error("%s: %s should have shape %s", type(self).__name__, self.describe_attribute(attr), expected)
        return valid

    def check_other_attribute(self, attr: str, log_error: bool = False) -> bool:
        """True if ``sh_degree`` agrees with the number of coefficients in ``sh_coeff``."""
        expected = (self.sh_coeff.shape[1] == self.compute_num_sh_coeff(self.sh_degree)
                    if isinstance(self.sh_degree, int) and self.sh_coeff.dim() == 3 else False)
        if not expected and log_error:
            logger.error("%s: sh_degree %r does not match sh_coeff %s", type(self).__name__, self.sh_degree,
                         tuple(self.sh_coeff.shape))
        return expected

    def check_sanity(self, log_error: bool = True) -> bool:
        """True if every set attribute is valid; the required ones (all but ``features`` and ``transform``)
        must be set."""
        required = ["positions", "orientations", "scales", "opacities", "sh_coeff"]
        missing = [name for name in required if getattr(self, name) is None]
        if missing:
            if log_error:
                logger.error("%s: %s must be set", type(self).__name__, ", ".join(missing))
            return False
        return super().check_sanity(log_error=log_error)
