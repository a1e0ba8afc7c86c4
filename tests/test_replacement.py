"""Changing a variant's accelerator and instance type replaces the EndpointConfig, never the Endpoint.

CloudFormation's registry schema (as bundled with cfn-lint) says which properties force replacement;
`cdk diff` shows it for the real change.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

from sagemaker_ei_endpoint import AcceleratorType
from stacks.app_builder import build_app
from stacks.environments import PROD, Environment
from tests.conftest import ROOT, cdk_json_context

NEW_INSTANCE_TYPE = "ml.c5.2xlarge"
NEW_ACCELERATOR = AcceleratorType.EIA2_XLARGE


def changed_prod() -> Environment:
    (endpoint,) = PROD.endpoints
    variants = tuple(
        dataclasses.replace(v, instance_type=NEW_INSTANCE_TYPE, accelerator_type=NEW_ACCELERATOR)
        for v in endpoint.variants
    )
    return dataclasses.replace(PROD, endpoints=(dataclasses.replace(endpoint, variants=variants),))


def prod_template(environment: Environment) -> dict[str, Any]:
    app = cdk.App(context=cdk_json_context(), builtin_cloud_formation_validation=False)
    stack = build_app(app, {}, environments={"prod": environment})["prod"]
    return dict(assertions.Template.from_stack(stack).to_json())


@cache
def create_only_properties(resource_type: str) -> set[str]:
    schemas = resources.files("cfnlint") / "data" / "schemas"
    name = json.loads((schemas / "providers" / "us-east-1.json").read_text())[resource_type]
    schema = json.loads((schemas / "resources" / f"{name}.json").read_text())
    return {p.removeprefix("/properties/") for p in schema["createOnlyProperties"]}


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (logical_id,) = [k for k, r in template["Resources"].items() if r["Type"] == resource_type]
    return {"id": logical_id, **template["Resources"][logical_id]}


def test_endpoint_config_is_replaced_and_endpoint_updated_in_place() -> None:
    before, after = prod_template(PROD), prod_template(changed_prod())
    config_before, config_after = (of_type(t, "AWS::SageMaker::EndpointConfig") for t in (before, after))
    endpoint_before, endpoint_after = (of_type(t, "AWS::SageMaker::Endpoint") for t in (before, after))

    # The config changes only in create-only properties: CloudFormation replaces it...
    changed = {
        k for k in config_after["Properties"] if config_after["Properties"][k] != config_before["Properties"].get(k)
    }
    assert changed == {"ProductionVariants"}
    assert changed <= create_only_properties("AWS::SageMaker::EndpointConfig")
    # ...under a new generated name, since none is fixed.
    assert "EndpointConfigName" not in config_after["Properties"]

    # The endpoint keeps its logical id and points at the config by GetAtt, so only the value of
    # EndpointConfigName changes, which is not create-only: an in-place UpdateEndpoint.
    assert endpoint_before["id"] == endpoint_after["id"]
    assert endpoint_after["Properties"]["EndpointConfigName"] == {
        "Fn::GetAtt": [config_after["id"], "EndpointConfigName"]
    }
    assert "EndpointConfigName" not in create_only_properties("AWS::SageMaker::Endpoint")
    assert create_only_properties("AWS::SageMaker::Endpoint") == {"EndpointName"}
    assert endpoint_after["Properties"] == endpoint_before["Properties"]


def test_no_model_or_endpoint_config_carries_a_fixed_name() -> None:
    for template in (prod_template(PROD), prod_template(changed_prod())):
        assert "ModelName" not in of_type(template, "AWS::SageMaker::Model")["Properties"]
        assert "EndpointConfigName" not in of_type(template, "AWS::SageMaker::EndpointConfig")["Properties"]


CHANGED_APP = """
import os, sys
sys.path.insert(0, os.environ["PROJECT_ROOT"])
import aws_cdk as cdk
from stacks.app_builder import build_app
from tests.test_replacement import changed_prod
app = cdk.App()
build_app(app, os.environ, environments={"prod": changed_prod()})
app.synth()
"""


@pytest.mark.cli
def test_cdk_diff_shows_the_config_replaced_and_the_endpoint_untouched(tmp_path: Path) -> None:
    old = tmp_path / "old.template.json"
    old.write_text(json.dumps(prod_template(PROD)))
    (tmp_path / "app.py").write_text(CHANGED_APP)
    (tmp_path / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py", "context": cdk_json_context()}))
    result = subprocess.run(
        [
            str(ROOT / "node_modules/.bin/cdk"),
            "diff",
            "SageMakerEI-prod",
            "--template",
            str(old),
            "--no-notices",
            "--no-path-metadata",
        ],
        cwd=tmp_path,
        env=os.environ | {"PROJECT_ROOT": str(ROOT), "CDK_DISABLE_CLI_TELEMETRY": "true"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    config_lines = [line for line in output.splitlines() if "AWS::SageMaker::EndpointConfig" in line]
    assert len(config_lines) == 1
    assert config_lines[0].rstrip().endswith("replace")
    assert "ProductionVariants (requires replacement)" in output
    assert f'"InstanceType": "{NEW_INSTANCE_TYPE}"' in output
    # Only the config is in the diff: nothing else, the endpoint included, changes in the template.
    assert [line.split()[1] for line in output.splitlines() if line.startswith("[")] == [
        "AWS::SageMaker::EndpointConfig"
    ]
