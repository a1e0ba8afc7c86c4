"""What the instance type name tells about a SageMaker host."""

from __future__ import annotations

import re

from .tokens import is_known

# Families that are accelerators themselves: GPU (p, g), Inferentia (inf), Trainium (trn), Habana (dl).
_ACCELERATED_FAMILY = re.compile(r"^ml\.(p\d|g\d|inf\d|trn\d|dl\d)")
# Families with local NVMe instance storage ("d" in the family: m5d, c5d, g4dn, p4d, ...; and the
# newer GPU and Trainium families). SageMaker refuses a KmsKeyId for them: their local volumes are
# encrypted by a hardware module instead.
_INSTANCE_STORAGE_FAMILY = re.compile(r"^ml\.([a-z]+\d+[a-z]*d[a-z]*|g5|g6|g6e|p5|p5e|trn1)\.")


def is_accelerated_instance(instance_type: str) -> bool:
    """True for GPU, Inferentia, Trainium and Habana instances, which need no EI accelerator."""
    return is_known(instance_type) and bool(_ACCELERATED_FAMILY.match(instance_type))


def has_instance_storage(instance_type: str) -> bool:
    return is_known(instance_type) and bool(_INSTANCE_STORAGE_FAMILY.match(instance_type))
