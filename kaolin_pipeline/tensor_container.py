"""A base for containers of named tensors, following Kaolin's ``kaolin.rep.TensorContainerBase``.

A subclass names its tensor attributes (:meth:`~TensorContainerBase.class_tensor_attributes`; each a tensor,
a dict of tensors, or None when unset) and its other attributes (:meth:`~TensorContainerBase.class_other_attributes`),
and says what a valid value is (``check_tensor_attribute``, ``check_other_attribute``). The base then moves,
casts and detaches every tensor (``to``, ``cpu``, ``cuda``, ``detach``, each returning a shallow copy), lists
and describes the attributes that are set, and checks them all (``check_sanity``).
"""
from __future__ import annotations

import copy
import logging
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch

from kaolin_pipeline.testing import tensor_info

__all__ = ["TensorContainerBase"]

logger = logging.getLogger(__name__)


class TensorContainerBase:
    """Base of tensor containers; see the module docstring."""

    @classmethod
    def class_tensor_attributes(cls) -> List[str]:
        """Names of the attributes holding a tensor or a dict of tensors."""
        return []

    @classmethod
    def class_other_attributes(cls) -> List[str]:
        """Names of the other attributes (strings, numbers, lists)."""
        return []

    def check_tensor_attribute(self, attr: str, log_error: bool = False) -> bool:
        """True if tensor attribute ``attr`` holds a valid value (subclasses refine; here: a tensor or a
        dict of tensors)."""
        value = getattr(self, attr)
        return torch.is_tensor(value) or (isinstance(value, dict) and all(map(torch.is_tensor, value.values())))

    def check_other_attribute(self, attr: str, log_error: bool = False) -> bool:
        """True if non-tensor attribute ``attr`` holds a valid value; a subclass with other attributes must
        override it."""
        raise NotImplementedError(f"{type(self).__name__} must override check_other_attribute to check "
                                  f"{self.class_other_attributes()}")

    @classmethod
    def assert_supported(cls, attr: str) -> None:
        """Raise AttributeError unless ``attr`` is one of the class's attributes."""
        if attr not in cls.class_tensor_attributes() and attr not in cls.class_other_attributes():
            raise AttributeError(f"{cls.__name__} has no attribute {attr!r}; it supports "
                                 f"{cls.class_tensor_attributes() + cls.class_other_attributes()}")

    def _construct_apply(self, func: Callable[[torch.Tensor], torch.Tensor],
                         attributes: Optional[Sequence[str]] = None) -> "TensorContainerBase":
        """A shallow copy with ``func`` applied to each tensor (and each tensor of a dict) of ``attributes``
        (default every tensor attribute that is set)."""
        result = copy.copy(self)
        for attr in self.get_attributes(only_tensors=True) if attributes is None else attributes:
            value = getattr(self, attr)
            if torch.is_tensor(value):
                setattr(result, attr, func(value))
            elif isinstance(value, dict):
                setattr(result, attr, {key: func(item) if torch.is_tensor(item) else item
                                       for key, item in value.items()})
        return result

    def to(self, *args: Any, attributes: Optional[Sequence[str]] = None, **kwargs: Any) -> "TensorContainerBase":
        """A copy with ``tensor.to(*args, **kwargs)`` applied to ``attributes`` (default all tensors)."""
        return self._construct_apply(lambda tensor: tensor.to(*args, **kwargs), attributes)

    def cuda(self, device=None, attributes: Optional[Sequence[str]] = None) -> "TensorContainerBase":
        """A copy with the tensors of ``attributes`` (default all) on a CUDA device."""
        return self._construct_apply(lambda tensor: tensor.cuda(device), attributes)

    def cpu(self, attributes: Optional[Sequence[str]] = None) -> "TensorContainerBase":
        """A copy with the tensors of ``attributes`` (default all) on the CPU."""
        return self._construct_apply(lambda tensor: tensor.cpu(), attributes)

    def detach(self, attributes: Optional[Sequence[str]] = None) -> "TensorContainerBase":
        """A copy with the tensors of ``attributes`` (default all) detached from the graph."""
        return self._construct_apply(lambda tensor: tensor.detach(), attributes)

    def get_attributes(self, only_tensors: bool = False) -> List[str]:
        """The attributes that are set (not None), tensor attributes first."""
        names = self.class_tensor_attributes() + ([] if only_tensors else self.class_other_attributes())
        return [name for name in names if getattr(self, name, None) is not None]

    def as_dict(self, only_tensors: bool = False) -> Dict[str, Any]:
        """``{name: value}`` of the attributes that are set (the values themselves, not copies)."""
        return {name: getattr(self, name) for name in self.get_attributes(only_tensors=only_tensors)}

    def describe_attribute(self, attr: str, print_stats: bool = False, detailed: bool = False) -> str:
        """One line per tensor of ``attr`` (``name[key]`` for a dict) with shape and dtype (and statistics)."""
        self.assert_supported(attr)
        value = getattr(self, attr, None)
        if isinstance(value, dict):
            return "\n".join(tensor_info(item, f"{attr}[{key}]", print_stats=print_stats, detailed=detailed)
                             for key, item in value.items())
        if torch.is_tensor(value) or value is None:
            return tensor_info(value, attr, print_stats=print_stats, detailed=detailed)
        return f"{attr}: {value!r}"

    def check_sanity(self, log_error: bool = True) -> bool:
        """True if every attribute that is set passes its check; failures are logged with ``log_error``."""
        tensors = self.get_attributes(only_tensors=True)
        valid = True
        for name in self.get_attributes():
            check = self.check_tensor_attribute if name in tensors else self.check_other_attribute
            if not check(name, log_error=log_error):
                valid = False
                if log_error:
                    logger.error("%s: attribute %r is invalid: %s", type(self).__name__, name,
                                 self.describe_attribute(name))
        return valid

    def to_string(self, print_stats: bool = False, detailed: bool = False) -> str:
        """The class name, then one description per attribute that is set."""
        lines = [f"{type(self).__name__} with attributes:"]
        lines += ["    " + self.describe_attribute(name, print_stats, detailed).replace("\n", "\n    ")
                  for name in self.get_attributes()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_string()

    __repr__ = __str__
