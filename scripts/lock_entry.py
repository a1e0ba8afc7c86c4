"""Print one package's entry (name==version and its --hash lines) from a hash lock, for a targeted reinstall.

aws-cdk-cloud-assembly-schema installs its own files into aws_cdk/cloud_assembly_schema/, the folder
aws-cdk-lib ships its binding of the same module in; with `pip install --no-deps` the order of the two is
not guaranteed, and when the schema package lands last, jsii no longer knows aws-cdk-lib's types
(`ValueError: Unknown interface: aws-cdk-lib.cloud_assembly_schema.MetadataEntry`, seen on a fresh
clone). `make setup` therefore reinstalls aws-cdk-lib alone, last, from this entry.

Usage: python scripts/lock_entry.py LOCK NAME > entry.lock
"""

from __future__ import annotations

import re
import sys


def entry(lock: str, name: str) -> str:
    lines = lock.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^{re.escape(name)}==", line))
    end = start + 1
    while end < len(lines) and lines[end].startswith("    --hash"):
        end += 1
    return (
        "\n".join(line.rstrip(" \\") if i == end - 1 else line for i, line in enumerate(lines[start:end], start)) + "\n"
    )


if __name__ == "__main__":
    lock_path, package = sys.argv[1:3]
    with open(lock_path) as handle:
        sys.stdout.write(entry(handle.read(), package))
