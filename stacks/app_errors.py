"""Settings and context mistakes end a synth with one line per problem, and no stale assembly.

A Python traceback tells a platform engineer nothing about which setting is wrong; every prop and
context check raises a ValueError (EIEndpointPropsError among them) whose message names the field
and the value. The CLI would otherwise leave the previous synth's templates in the output folder,
where a later `cdk deploy --app cdk.out` would deploy them as if this synth had worked.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from sagemaker_ei_endpoint import EIEndpointPropsError

from .app_builder import PipelineSettingsError


def synth_or_exit(outdir: str, build_and_synth: Callable[[], object]) -> None:
    """Run ``build_and_synth``; on a settings error print each problem on one line and exit 1."""
    try:
        build_and_synth()
    except ValueError as error:
        # EIEndpointPropsError and PipelineSettingsError carry their problems one by one.
        problems = error.problems if isinstance(error, EIEndpointPropsError | PipelineSettingsError) else (str(error),)
        remove_assembly(Path(outdir))
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(1) from None


def remove_assembly(outdir: Path) -> None:
    """Delete ``outdir`` if it holds a cloud assembly (a manifest.json), so nothing stale is deployed."""
    if (outdir / "manifest.json").is_file():
        shutil.rmtree(outdir)
