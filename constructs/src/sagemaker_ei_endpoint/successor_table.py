"""The successor of every EI host instance in each successor family, as plain data (no CDK import:
docs are generated from it).

Every family follows one rule: the successor is the family's smallest size with at least the EI host's
vCPUs and memory, so the CPU-side work (pre- and post-processing) is no slower than before. Why the
accelerator never decides the size is explained in successor.py.
"""

from __future__ import annotations

# The EI host instances and their (vCPUs, GiB), the published EC2 specifications of those types.
EI_HOSTS: dict[str, tuple[int, float]] = {
    "ml.t2.medium": (2, 4),
    "ml.t2.large": (2, 8),
    "ml.t2.xlarge": (4, 16),
    "ml.m4.xlarge": (4, 16),
    "ml.m4.2xlarge": (8, 32),
    "ml.m4.4xlarge": (16, 64),
    "ml.m5.large": (2, 8),
    "ml.m5.xlarge": (4, 16),
    "ml.m5.2xlarge": (8, 32),
    "ml.m5.4xlarge": (16, 64),
    "ml.c4.large": (2, 3.75),
    "ml.c4.xlarge": (4, 7.5),
    "ml.c4.2xlarge": (8, 15),
    "ml.c4.4xlarge": (16, 30),
    "ml.c5.large": (2, 4),
    "ml.c5.xlarge": (4, 8),
    "ml.c5.2xlarge": (8, 16),
    "ml.c5.4xlarge": (16, 32),
    "ml.r5.large": (2, 16),
    "ml.r5.xlarge": (4, 32),
    "ml.r5.2xlarge": (8, 64),
}

# The sizes of the g4dn, g5 and g6 families up to 16xlarge: one GPU each (T4 16 GiB, A10G 24 GiB, L4 24 GiB).
_ONE_GPU_SIZES: dict[str, tuple[int, float]] = {
    "xlarge": (4, 16),
    "2xlarge": (8, 32),
    "4xlarge": (16, 64),
    "8xlarge": (32, 128),
    "16xlarge": (64, 256),
}
_INTEL_VCPUS = {"large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16}
# GiB per vCPU of the sixth Intel generation: m6i 4, c6i 2, r6i 8 (as m5, c5 and r5).
_GIB_PER_VCPU = {"m6i": 4, "c6i": 2, "r6i": 8}

# family -> its sizes (instance type -> vCPUs, GiB), smallest first. Every type is in SageMaker's
# ProductionVariantInstanceType (a test checks it against data/api_constraints.json).
FAMILY_SIZES: dict[str, dict[str, tuple[int, float]]] = {
    "gpu": {f"ml.g4dn.{size}": spec for size, spec in _ONE_GPU_SIZES.items()},
    "gpu-g5": {f"ml.g5.{size}": spec for size, spec in _ONE_GPU_SIZES.items()},
    "gpu-g6": {f"ml.g6.{size}": spec for size, spec in _ONE_GPU_SIZES.items()},
    "cpu": {
        f"ml.{family}.{size}": (vcpus, vcpus * per_vcpu)
        for family, per_vcpu in _GIB_PER_VCPU.items()
        for size, vcpus in _INTEL_VCPUS.items()
    },
    # inf2.xlarge: 1 Inferentia2 chip; 8xlarge 1; 24xlarge 6; 48xlarge 12 (32 GiB accelerator memory each).
    "inferentia2": {
        "ml.inf2.xlarge": (4, 16),
        "ml.inf2.8xlarge": (32, 128),
        "ml.inf2.24xlarge": (96, 384),
        "ml.inf2.48xlarge": (192, 768),
    },
}

# A CPU successor keeps the host's class (general purpose, compute or memory optimized) in the sixth
# Intel generation: x86 like the EI hosts, so the framework's x86 CPU image runs (Graviton needs other
# images). Burstable t2 hosts become general purpose m6i, which can also be autoscaled.
CPU_CLASS = {"t2": "m6i", "m4": "m6i", "m5": "m6i", "c4": "c6i", "c5": "c6i", "r5": "r6i"}


def successor_of(family: str, host: str) -> str | None:
    """The smallest size of ``family`` holding ``host``'s vCPUs and memory; None for an unknown host."""
    if host not in EI_HOSTS:
        return None
    vcpus, memory = EI_HOSTS[host]
    sizes = FAMILY_SIZES[family]
    if family == "cpu":
        prefix = f"ml.{CPU_CLASS[host.split('.')[1]]}."
        sizes = {t: spec for t, spec in sizes.items() if t.startswith(prefix)}
    return next((t for t, (c, m) in sizes.items() if c >= vcpus and m >= memory), None)


def host_spec(host: str) -> str:
    vcpus, memory = EI_HOSTS[host]
    return f"{vcpus} vCPU, {memory:g} GiB"


def successor_table(family: str) -> dict[str, tuple[str, str]]:
    """EI host -> (its successor in ``family``, the host's vCPUs and memory as text)."""
    table = {}
    for host in EI_HOSTS:
        successor = successor_of(family, host)
        if successor is not None:
            table[host] = (successor, host_spec(host))
    return table


# The default family's table (GPU, g4dn), as before the families existed.
SUCCESSOR_INSTANCE_TYPES: dict[str, tuple[str, str]] = successor_table("gpu")
