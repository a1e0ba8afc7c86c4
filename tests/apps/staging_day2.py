"""The shipped app with staging changed as a day-2 change would change it, for tests/test_e2e.py.

Context, on top of the shipped app's (``-c accelerator_mode=successor`` still applies):
``-c accelerator=ml.eia2.large`` sets staging's accelerator size; ``-c autoscaling=off`` removes its
variant's autoscaling (step 1 of the documented path through an instance-type change of an
autoscaled variant, tools/update_rules.py). Run by the CDK CLI: ``cdk deploy --app "<python> <this file>"``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# as scripts/cdk-app does: the venv's Node.js 24 first for jsii, the repository importable
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
sys.path.insert(0, str(ROOT))

import aws_cdk as cdk  # noqa: E402

from sagemaker_ei_endpoint import AcceleratorType  # noqa: E402
from stacks.app_builder import build_app  # noqa: E402
from stacks.environments import STAGING  # noqa: E402

app = cdk.App()
(endpoint,) = STAGING.endpoints
(variant,) = endpoint.variants
if accelerator := app.node.try_get_context("accelerator"):
    variant = dataclasses.replace(variant, accelerator_type=AcceleratorType.of(accelerator))
if app.node.try_get_context("autoscaling") == "off":
    variant = dataclasses.replace(variant, autoscaling=None)
staging = dataclasses.replace(STAGING, endpoints=(dataclasses.replace(endpoint, variants=(variant,)),))
build_app(app, os.environ, {"staging": staging})
app.synth()
