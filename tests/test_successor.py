"""Successor mode: each EI variant deploys on an accelerated instance instead, with no AcceleratorType."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_ecr as ecr
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from sagemaker_ei_endpoint import (
    SUCCESSOR_METADATA,
    WARNING_EI_RETIRED,
    WARNING_SUCCESSOR,
    AcceleratorMode,
    AcceleratorType,
    BuiltinAlgorithm,
    ContainerImage,
    EIEndpointPropsError,
    EIFramework,
    NeuronModel,
    SuccessorFamily,
)
from sagemaker_ei_endpoint.successor import successor_instance_type
from sagemaker_ei_endpoint.successor_table import FAMILY_SIZES, SUCCESSOR_INSTANCE_TYPES, successor_table
from stacks.app_builder import build_app
from stacks.environments import ENVIRONMENTS
from tests.conftest import ROOT, EndpointFactory, cdk_json_context, new_stack, synthesized_templates, variant
from tools import cfn_lint_check, synth_summary

SUCCESSOR = AcceleratorMode.SUCCESSOR


@pytest.fixture(scope="session")
def successor_templates() -> dict[str, dict[str, Any]]:
    app = cdk.App(context=cdk_json_context() | {"accelerator_mode": "successor"})
    return synthesized_templates(build_app(app, {}))


def endpoint_config(stack: cdk.Stack) -> Any:
    (config,) = assertions.Template.from_stack(stack).find_resources("AWS::SageMaker::EndpointConfig").values()
    return config


def deployed(stack: cdk.Stack) -> list[tuple[str, str]]:
    return [(v["VariantName"], v["InstanceType"]) for v in endpoint_config(stack)["Properties"]["ProductionVariants"]]


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_successor_templates_carry_no_accelerator_type_anywhere(
    successor_templates: dict[str, dict[str, Any]], env: str
) -> None:
    assert "AcceleratorType" not in json.dumps(successor_templates[env])


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_successor_templates_pass_cfn_lint_with_no_exception(
    successor_templates: dict[str, dict[str, Any]], env: str
) -> None:
    region = ENVIRONMENTS[env].region or cfn_lint_check.DEFAULT_REGION
    assert cfn_lint_check.findings(successor_templates[env], region=region, allow_ei_accelerator=False) == []


def test_prod_successor_template_matches_snapshot(
    successor_templates: dict[str, dict[str, Any]], snapshot: SnapshotAssertion
) -> None:
    assert successor_templates["prod"] == snapshot.use_extension(JSONSnapshotExtension)


def test_mode_comes_from_the_environment_and_context_overrides_it() -> None:
    assert {env.accelerator_mode for env in ENVIRONMENTS.values()} == {AcceleratorMode.ELASTIC_INFERENCE}
    app = cdk.App(context={"accelerator_mode": "successor", "env": "dev"}, builtin_cloud_formation_validation=False)
    (stack,) = build_app(app, {}).values()
    assert stack.endpoints["ImageClassifier"].accelerator_mode is SUCCESSOR


def test_unknown_mode_in_context_is_refused_with_the_value() -> None:
    app = cdk.App(context={"accelerator_mode": "gpu"})
    with pytest.raises(ValueError, match=r"accelerator_mode: expected one of elastic-inference, successor, got 'gpu'"):
        build_app(app, {})


@pytest.mark.parametrize(
    ("host", "accelerator", "successor"),
    [
        ("ml.m5.large", AcceleratorType.EIA2_MEDIUM, "ml.g4dn.xlarge"),
        ("ml.m5.large", AcceleratorType.EIA2_XLARGE, "ml.g4dn.xlarge"),
        ("ml.c5.xlarge", AcceleratorType.EIA1_LARGE, "ml.g4dn.xlarge"),
        ("ml.m5.2xlarge", AcceleratorType.EIA2_LARGE, "ml.g4dn.2xlarge"),
        ("ml.r5.xlarge", AcceleratorType.EIA2_MEDIUM, "ml.g4dn.2xlarge"),
        ("ml.m4.4xlarge", AcceleratorType.EIA1_XLARGE, "ml.g4dn.4xlarge"),
    ],
)
def test_mapping_picks_the_smallest_g4dn_that_holds_the_host(
    host: str, accelerator: AcceleratorType, successor: str
) -> None:
    assert successor_instance_type(host, accelerator) == successor


def test_every_mapped_successor_has_at_least_the_host_vcpus_and_memory() -> None:
    g4dn = {"ml.g4dn.xlarge": (4, 16), "ml.g4dn.2xlarge": (8, 32), "ml.g4dn.4xlarge": (16, 64)}
    for host, (successor, spec) in SUCCESSOR_INSTANCE_TYPES.items():
        vcpus, memory = spec.replace(" vCPU", "").replace(" GiB", "").split(", ")
        assert g4dn[successor][0] >= int(vcpus), host
        assert g4dn[successor][1] >= float(memory), host


def test_endpoint_in_successor_mode_deploys_the_mapped_instances(make_endpoint: EndpointFactory) -> None:
    stack, endpoint = make_endpoint(
        accelerator_mode=SUCCESSOR,
        variants=[
            variant("A"),
            variant("B", instance_type="ml.m5.2xlarge", accelerator_type=AcceleratorType.EIA1_XLARGE),
        ],
    )
    assert deployed(stack) == [("A", "ml.g4dn.xlarge"), ("B", "ml.g4dn.2xlarge")]
    assert endpoint.deployed_instance_types == ("ml.g4dn.xlarge", "ml.g4dn.2xlarge")


def test_variant_override_wins_over_the_table(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(accelerator_mode=SUCCESSOR, variants=[variant(successor_instance_type="ml.g5.xlarge")])
    assert deployed(stack) == [("AllTraffic", "ml.g5.xlarge")]


def test_unknown_host_without_override_is_refused_naming_the_field(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    with pytest.raises(
        EIEndpointPropsError, match=r"variants\[0\].instance_type: no gpu successor known for 'ml.r5.24xlarge'"
    ):
        make_endpoint(stack=stack, accelerator_mode=SUCCESSOR, variants=[variant(instance_type="ml.r5.24xlarge")])
    assert stack.node.children == []


@pytest.mark.parametrize(
    ("framework", "version", "successor_image"),
    [
        (EIFramework.TENSORFLOW, "2.3", "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.3.0-gpu"),
        (
            EIFramework.TENSORFLOW,
            "1.15",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:1.15.0-gpu",
        ),
        (EIFramework.MXNET, "1.7.0", "763104351884.dkr.ecr.us-east-1.amazonaws.com/mxnet-inference:1.7.0-gpu-py3"),
        (EIFramework.PYTORCH, "1.3.1", "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:1.3.1-gpu-py3"),
    ],
)
def test_ei_framework_image_becomes_the_standard_inference_image_at_the_same_version(
    make_endpoint: EndpointFactory, framework: EIFramework, version: str, successor_image: str
) -> None:
    _, endpoint = make_endpoint(accelerator_mode=SUCCESSOR, image=ContainerImage.from_ei_framework(framework, version))
    assert endpoint.image_uri == successor_image


def test_cpu_successor_gets_the_cpu_image(make_endpoint: EndpointFactory) -> None:
    _, endpoint = make_endpoint(accelerator_mode=SUCCESSOR, variants=[variant(successor_instance_type="ml.c5.xlarge")])
    assert endpoint.image_uri.endswith("/tensorflow-inference:2.3.0-cpu")


def test_framework_version_with_no_standard_image_is_refused_with_the_versions(make_endpoint: EndpointFactory) -> None:
    image = ContainerImage.from_ei_framework(EIFramework.PYTORCH, "1.5.1")
    with pytest.raises(EIEndpointPropsError) as error:
        make_endpoint(accelerator_mode=SUCCESSOR, image=image)
    message = str(error.value)
    assert "successor_image: no successor for 'pytorch-inference-eia:1.5.1-cpu-py3'" in message
    assert "pytorch has no inference image at version '1.5.1'" in message
    assert "1.5.0, 1.6.0" in message


def test_builtin_algorithm_image_stays_as_it_is(make_endpoint: EndpointFactory) -> None:
    image = ContainerImage.from_builtin_algorithm(BuiltinAlgorithm.OBJECT_DETECTION)
    _, endpoint = make_endpoint(accelerator_mode=SUCCESSOR, image=image)
    assert endpoint.image_uri == "811284229777.dkr.ecr.us-east-1.amazonaws.com/object-detection:1"


def test_own_image_needs_an_explicit_successor_or_an_unchanged_statement(make_endpoint: EndpointFactory) -> None:
    own = ContainerImage.from_registry("123456789012.dkr.ecr.us-east-1.amazonaws.com/ei-model:7")
    with pytest.raises(EIEndpointPropsError, match=r"successor_image: '.*ei-model:7' is your own image"):
        make_endpoint(accelerator_mode=SUCCESSOR, image=own)
    _, unchanged = make_endpoint(accelerator_mode=SUCCESSOR, image=own, image_runs_unchanged_on_successor=True)
    assert unchanged.image_uri.endswith("ei-model:7")
    gpu_build = ContainerImage.from_registry("123456789012.dkr.ecr.us-east-1.amazonaws.com/gpu-model:7")
    _, replaced = make_endpoint(accelerator_mode=SUCCESSOR, image=own, successor_image=gpu_build)
    assert replaced.image_uri.endswith("gpu-model:7")


def test_own_ecr_image_successor_error_names_the_repository(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    repository = ecr.Repository.from_repository_name(stack, "Repo", "ei-model")
    with pytest.raises(EIEndpointPropsError, match=r"'ei-model:v1' is your own image"):
        make_endpoint(
            stack=stack, accelerator_mode=SUCCESSOR, image=ContainerImage.from_ecr_repository(repository, "v1")
        )


def test_inferentia_successor_needs_a_neuron_model(make_endpoint: EndpointFactory) -> None:
    inf = [variant(successor_instance_type="ml.inf1.xlarge")]
    neuron = ContainerImage.from_registry("123456789012.dkr.ecr.us-east-1.amazonaws.com/neuron-model:1")
    # A Neuron image alone is not enough: the model must be compiled with AWS Neuron too.
    with pytest.raises(
        EIEndpointPropsError, match=r"neuron_model: \['ml.inf1.xlarge'\] run only models compiled with AWS Neuron"
    ):
        make_endpoint(accelerator_mode=SUCCESSOR, variants=inf, successor_image=neuron)
    stack, endpoint = make_endpoint(accelerator_mode=SUCCESSOR, variants=inf, neuron_model=NeuronModel(image=neuron))
    assert deployed(stack) == [("AllTraffic", "ml.inf1.xlarge")]
    assert endpoint.image_uri.endswith("neuron-model:1")


def test_mixed_gpu_and_cpu_successors_need_an_explicit_image(make_endpoint: EndpointFactory) -> None:
    variants = [variant("A"), variant("B", successor_instance_type="ml.c5.xlarge")]
    with pytest.raises(EIEndpointPropsError, match=r"mix GPU and CPU types"):
        make_endpoint(accelerator_mode=SUCCESSOR, variants=variants)


def test_successor_warning_says_what_was_mapped_and_ei_warnings_are_gone(make_endpoint: EndpointFactory) -> None:
    stack, endpoint = make_endpoint(accelerator_mode=SUCCESSOR)
    annotations = assertions.Annotations.from_stack(stack)
    (warning,) = annotations.find_warning("*", assertions.Match.any_value())
    text = str(warning.entry.data)
    assert WARNING_SUCCESSOR in text
    assert "AllTraffic: ml.m5.large + ml.eia2.medium -> ml.g4dn.xlarge" in text
    assert "tensorflow-inference-eia:2.3.0-cpu -> tensorflow-inference:2.3.0-gpu" in text
    assert "re-export" in text
    assert WARNING_EI_RETIRED not in text
    assert not any("F3002" in str(m.data) for m in endpoint.endpoint_config.node.metadata)


def test_successor_mapping_is_recorded_in_the_template_for_review(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(accelerator_mode=SUCCESSOR)
    assert synth_summary.SUCCESSOR_METADATA == SUCCESSOR_METADATA
    assert endpoint_config(stack)["Metadata"][SUCCESSOR_METADATA] == {
        "variants": [{"variant": "AllTraffic", "from": "ml.m5.large + ml.eia2.medium", "to": "ml.g4dn.xlarge"}],
        "image": {"from": "tensorflow-inference-eia:2.3.0-cpu", "to": "tensorflow-inference:2.3.0-gpu"},
    }


def test_successor_image_region_is_checked_too(make_endpoint: EndpointFactory) -> None:
    # tensorflow-inference 2.3.0 is published in more regions than its EI image; a region with
    # neither must still be refused for the image that would deploy.
    with pytest.raises(EIEndpointPropsError, match=r"image: no tensorflow 2.3.0 inference image in region 'xx-east-9'"):
        make_endpoint(accelerator_mode=SUCCESSOR, region="xx-east-9")


def documented_tables(document: str) -> dict[str, dict[str, tuple[str, str]]]:
    """family -> (EI host -> (successor, host spec)) as docs/successor.md shows them."""
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    family = ""
    for line in document.splitlines():
        if line.startswith("#### Family `"):
            family = line.split("`")[1]
            tables[family] = {}
        elif line.startswith("| `ml.") and family:
            cells = [c.strip(" `") for c in line.split("|")[1:4]]
            tables[family][cells[0]] = (cells[2], cells[1])
    return tables


def test_documented_mapping_tables_are_generated_from_the_code() -> None:
    generator = ROOT / "scripts" / "generate_successor_table.py"
    result = subprocess.run([sys.executable, str(generator), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    documented = documented_tables((ROOT / "docs" / "successor.md").read_text())
    assert documented == {family: successor_table(family) for family in FAMILY_SIZES}
    assert documented["gpu"] == SUCCESSOR_INSTANCE_TYPES
    assert set(documented) == {f.value for f in SuccessorFamily}


@pytest.mark.parametrize(
    ("row", "edited"), [("`ml.g4dn.4xlarge`", "`ml.g4dn.8xlarge`"), ("`ml.c6i.4xlarge`", "`ml.c6i.8xlarge`")]
)
def test_a_hand_edited_mapping_table_is_caught(tmp_path: Path, row: str, edited: str) -> None:
    stale = tmp_path / "successor.md"
    document = (ROOT / "docs" / "successor.md").read_text()
    assert row in document
    stale.write_text(document.replace(row, edited))
    generator = ROOT / "scripts" / "generate_successor_table.py"
    check = subprocess.run([sys.executable, str(generator), "--check", "--doc", str(stale)], check=False)
    assert check.returncode == 1
