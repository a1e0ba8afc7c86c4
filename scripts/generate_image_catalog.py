"""Regenerate the EI image catalog from the sagemaker-core package's image_uri_config files.

The catalog (accounts per region, repositories, tags) is data AWS publishes through
sagemaker-core; typing it by hand would drift. sagemaker-core itself pulls in pandas and
scipy, so the wheel is downloaded without dependencies and only its JSON files are read.

Usage:
    python scripts/generate_image_catalog.py            # rewrite the committed catalog
    python scripts/generate_image_catalog.py --check    # exit 1 if the committed catalog is stale
    python scripts/generate_image_catalog.py --config-dir DIR --output FILE
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from generated_file import write_or_check

SAGEMAKER_CORE_VERSION = "2.27.0"
CONFIG_PATH_IN_WHEEL = "sagemaker/core/image_uri_config/"
FRAMEWORKS = ("tensorflow", "mxnet", "pytorch")
ALGORITHMS = ("image-classification", "object-detection")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "constructs/src/sagemaker_ei_endpoint/data/image_catalog.json"


def _tag(version: str, processor: str, py_versions: list[str] | None) -> str:
    # Same shape as sagemaker-core's _format_tag: version-processor[-py], newest Python first.
    parts = [version, processor]
    if py_versions:
        parts.append(sorted(py_versions)[-1])
    return "-".join(parts)


def _framework_scope(config: dict[str, Any], scope: str) -> dict[str, Any]:
    section = config[scope]
    processors: list[str] = section.get("processors", ["cpu"])
    versions = {}
    for version, entry in sorted(section["versions"].items(), key=lambda kv: _version_key(kv[0])):
        if "registries" not in entry:
            continue
        versions[version] = {
            "repository": entry["repository"],
            "tags": {p: _tag(version, p, entry.get("py_versions")) for p in processors},
            "registries": dict(sorted(entry["registries"].items())),
        }
    return {"aliases": dict(sorted(section.get("version_aliases", {}).items())), "versions": versions}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def build_catalog(config_dir: Path) -> dict[str, Any]:
    frameworks = {}
    for name in FRAMEWORKS:
        config = json.loads((config_dir / f"{name}.json").read_text())
        frameworks[name] = {
            "eia": _framework_scope(config, "eia"),
            "inference": _framework_scope(config, "inference"),
        }
    algorithms = {}
    for name in ALGORITHMS:
        config = json.loads((config_dir / f"{name}.json").read_text())
        ((version, entry),) = config["versions"].items()
        algorithms[name] = {
            "repository": entry["repository"],
            "tag": version,
            "registries": dict(sorted(entry["registries"].items())),
        }
    return {
        "source": f"sagemaker-core {SAGEMAKER_CORE_VERSION}, {CONFIG_PATH_IN_WHEEL}",
        "generator": "scripts/generate_image_catalog.py",
        "frameworks": frameworks,
        "algorithms": algorithms,
    }


def render(catalog: dict[str, Any]) -> str:
    return json.dumps(catalog, indent=1, sort_keys=True) + "\n"


def download_config_dir(workdir: Path) -> Path:
    print(f"downloading sagemaker-core=={SAGEMAKER_CORE_VERSION} (no dependencies)", file=sys.stderr)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            f"sagemaker-core=={SAGEMAKER_CORE_VERSION}",
            "--dest",
            str(workdir),
        ],
        check=True,
    )
    (wheel,) = workdir.glob("sagemaker_core-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith(CONFIG_PATH_IN_WHEEL)]
        archive.extractall(workdir, members)
    return workdir / CONFIG_PATH_IN_WHEEL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-dir", type=Path, help="an unpacked image_uri_config folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        config_dir = args.config_dir or download_config_dir(Path(tmp))
        text = render(build_catalog(config_dir))

    return write_or_check(args.output, text, check=args.check, generator="scripts/generate_image_catalog.py")


if __name__ == "__main__":
    sys.exit(main())
