"""The Elastic Inference accelerator sizes a production variant can carry."""

from __future__ import annotations

from typing import ClassVar

from . import api_constraints
from .errors import EIEndpointPropsError
from .tokens import is_known

# Accelerator memory in GiB, from the EI product page; the successor mapping reasons with it.
_MEMORY_GIB: dict[str, int] = {
    "ml.eia1.medium": 1,
    "ml.eia1.large": 2,
    "ml.eia1.xlarge": 4,
    "ml.eia2.medium": 2,
    "ml.eia2.large": 4,
    "ml.eia2.xlarge": 8,
}


class AcceleratorType:
    """An Elastic Inference accelerator size, e.g. ``AcceleratorType.EIA2_MEDIUM``.

    Use ``AcceleratorType.of("ml.eia2.medium")`` for a value read from configuration;
    it refuses names that are not EI sizes.
    """

    EIA1_MEDIUM: ClassVar[AcceleratorType]
    EIA1_LARGE: ClassVar[AcceleratorType]
    EIA1_XLARGE: ClassVar[AcceleratorType]
    EIA2_MEDIUM: ClassVar[AcceleratorType]
    EIA2_LARGE: ClassVar[AcceleratorType]
    EIA2_XLARGE: ClassVar[AcceleratorType]

    def __init__(self, name: str) -> None:
        # The constructor checks as ``of`` does: no AcceleratorType holds a size SageMaker's API lacks.
        if is_known(name) and name not in api_constraints.enum("accelerator_type"):
            raise EIEndpointPropsError(
                [
                    f"accelerator_type: unknown Elastic Inference accelerator {name!r}; "
                    f"expected one of {', '.join(api_constraints.enum('accelerator_type'))}"
                ]
            )
        self._name = name

    @classmethod
    def of(cls, name: str) -> AcceleratorType:
        """The accelerator called ``name``; unresolved tokens are passed through unjudged."""
        return cls(name)

    @classmethod
    def all(cls) -> tuple[AcceleratorType, ...]:
        return tuple(cls(name) for name in _MEMORY_GIB)

    @property
    def name(self) -> str:
        return self._name

    @property
    def memory_gib(self) -> int | None:
        """Accelerator memory; None for an unresolved token."""
        return _MEMORY_GIB.get(self._name)

    def __str__(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"AcceleratorType.of({self._name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AcceleratorType) and other._name == self._name

    def __hash__(self) -> int:
        return hash(self._name)


AcceleratorType.EIA1_MEDIUM = AcceleratorType("ml.eia1.medium")
AcceleratorType.EIA1_LARGE = AcceleratorType("ml.eia1.large")
AcceleratorType.EIA1_XLARGE = AcceleratorType("ml.eia1.xlarge")
AcceleratorType.EIA2_MEDIUM = AcceleratorType("ml.eia2.medium")
AcceleratorType.EIA2_LARGE = AcceleratorType("ml.eia2.large")
AcceleratorType.EIA2_XLARGE = AcceleratorType("ml.eia2.xlarge")
