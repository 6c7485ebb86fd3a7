"""Test helper: run every usd-core validator on a USD file, as ``usdchecker`` does."""
from __future__ import annotations

from pxr import Usd, UsdValidation


def validation_errors(path) -> list[str]:
    """Messages of every validation error (not warning) usd-core reports for the stage at ``path``."""
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    stage = Usd.Stage.Open(str(path))
    return [
        f"{error.GetValidator().GetMetadata().name}: {error.GetMessage()}"
        for error in UsdValidation.ValidationContext(validators).Validate(stage)
        if error.GetType() == UsdValidation.ValidationErrorType.Error
    ]
