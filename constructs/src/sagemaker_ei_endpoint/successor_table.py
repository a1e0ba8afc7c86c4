"""The GPU successor of every EI host instance, as plain data (no CDK import: docs are generated from it).

Why one g4dn size covers every EI size is explained in successor.py.
"""

from __future__ import annotations

# host instance type of an EI variant -> its successor, with the host's (vCPUs, GiB) for the reasoning.
# g4dn sizes: xlarge 4/16, 2xlarge 8/32, 4xlarge 16/64, 8xlarge 32/128, 16xlarge 64/256.
SUCCESSOR_INSTANCE_TYPES: dict[str, tuple[str, str]] = {
    "ml.t2.medium": ("ml.g4dn.xlarge", "2 vCPU, 4 GiB"),
    "ml.t2.large": ("ml.g4dn.xlarge", "2 vCPU, 8 GiB"),
    "ml.t2.xlarge": ("ml.g4dn.xlarge", "4 vCPU, 16 GiB"),
    "ml.m4.xlarge": ("ml.g4dn.xlarge", "4 vCPU, 16 GiB"),
    "ml.m4.2xlarge": ("ml.g4dn.2xlarge", "8 vCPU, 32 GiB"),
    "ml.m4.4xlarge": ("ml.g4dn.4xlarge", "16 vCPU, 64 GiB"),
    "ml.m5.large": ("ml.g4dn.xlarge", "2 vCPU, 8 GiB"),
    "ml.m5.xlarge": ("ml.g4dn.xlarge", "4 vCPU, 16 GiB"),
    "ml.m5.2xlarge": ("ml.g4dn.2xlarge", "8 vCPU, 32 GiB"),
    "ml.m5.4xlarge": ("ml.g4dn.4xlarge", "16 vCPU, 64 GiB"),
    "ml.c4.large": ("ml.g4dn.xlarge", "2 vCPU, 3.75 GiB"),
    "ml.c4.xlarge": ("ml.g4dn.xlarge", "4 vCPU, 7.5 GiB"),
    "ml.c4.2xlarge": ("ml.g4dn.2xlarge", "8 vCPU, 15 GiB"),
    "ml.c4.4xlarge": ("ml.g4dn.4xlarge", "16 vCPU, 30 GiB"),
    "ml.c5.large": ("ml.g4dn.xlarge", "2 vCPU, 4 GiB"),
    "ml.c5.xlarge": ("ml.g4dn.xlarge", "4 vCPU, 8 GiB"),
    "ml.c5.2xlarge": ("ml.g4dn.2xlarge", "8 vCPU, 16 GiB"),
    "ml.c5.4xlarge": ("ml.g4dn.4xlarge", "16 vCPU, 32 GiB"),
    "ml.r5.large": ("ml.g4dn.xlarge", "2 vCPU, 16 GiB"),
    "ml.r5.xlarge": ("ml.g4dn.2xlarge", "4 vCPU, 32 GiB"),
    "ml.r5.2xlarge": ("ml.g4dn.4xlarge", "8 vCPU, 64 GiB"),
}
