"""Successor families (gpu, gpu-g5, gpu-g6, cpu, inferentia2) and shadow variants in successor mode."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_s3 as s3

from sagemaker_ei_endpoint import (
    AcceleratorMode,
    ContainerImage,
    EIEndpointPropsError,
    ModelData,
    NeuronModel,
    ShadowVariant,
    SuccessorFamily,
)
from sagemaker_ei_endpoint.api_constraints import enum
from sagemaker_ei_endpoint.successor_table import CPU_CLASS, EI_HOSTS, FAMILY_SIZES, successor_of
from stacks.app_builder import build_app
from stacks.environments import ENVIRONMENTS
from tests.conftest import EndpointFactory, cdk_json_context, new_stack, synthesized_templates, variant
from tools import cfn_lint_check
from tools.review import posture
from tools.synth_summary import variant_rows
from tools.update_rules import update_findings

SUCCESSOR = AcceleratorMode.SUCCESSOR
NEURON_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference-neuronx:2.1.2-neuronx-py310"


def templates(**context: str) -> dict[str, dict[str, Any]]:
    app = cdk.App(context=cdk_json_context() | {"accelerator_mode": "successor"} | context)
    return synthesized_templates(build_app(app, {}))


def of_type(template: Mapping[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def config(stack: cdk.Stack) -> Any:
    (found,) = assertions.Template.from_stack(stack).find_resources("AWS::SageMaker::EndpointConfig").values()
    return found["Properties"]


# ---- the tables --------------------------------------------------------------------------------


@pytest.mark.parametrize("family", list(FAMILY_SIZES))
def test_each_family_picks_the_smallest_size_that_holds_the_host(family: str) -> None:
    for host, (vcpus, memory) in EI_HOSTS.items():
        chosen = successor_of(family, host)
        assert chosen is not None, host
        sizes = FAMILY_SIZES[family]
        if family == "cpu":
            assert chosen.startswith(f"ml.{CPU_CLASS[host.split('.')[1]]}."), host
            sizes = {t: spec for t, spec in sizes.items() if t.split(".")[1] == chosen.split(".")[1]}
        holding = [t for t, (c, m) in sizes.items() if c >= vcpus and m >= memory]
        assert chosen == holding[0], host
        assert sizes[chosen][0] >= vcpus
        assert sizes[chosen][1] >= memory


def test_every_family_instance_is_one_sagemaker_hosts() -> None:
    known = set(enum("instance_type"))
    for family, sizes in FAMILY_SIZES.items():
        assert set(sizes) <= known, family


def test_every_family_value_has_a_table() -> None:
    assert {f.value for f in SuccessorFamily} == set(FAMILY_SIZES)


# ---- per environment, by context ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cpu_templates() -> dict[str, dict[str, Any]]:
    return templates(successor_family="cpu")


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_cpu_family_lands_on_cpu_instances_with_the_cpu_image_and_lints_clean(
    cpu_templates: dict[str, dict[str, Any]], env: str
) -> None:
    template = cpu_templates[env]
    assert "AcceleratorType" not in json.dumps(template)
    variants = [
        v for c in of_type(template, "AWS::SageMaker::EndpointConfig") for v in c["Properties"]["ProductionVariants"]
    ]
    assert {v["InstanceType"].split(".")[1] for v in variants} <= {"m6i", "c6i", "r6i"}
    images = json.dumps(
        [m["Properties"]["PrimaryContainer"]["Image"] for m in of_type(template, "AWS::SageMaker::Model")]
    )
    assert "-gpu" not in images
    assert "tensorflow-inference:2.3.0-cpu" in images
    region = ENVIRONMENTS[env].region or cfn_lint_check.DEFAULT_REGION
    assert cfn_lint_check.findings(template, region=region, allow_ei_accelerator=False) == []


@pytest.mark.parametrize(("family", "instance"), [("gpu-g5", "ml.g5.xlarge"), ("gpu-g6", "ml.g6.xlarge")])
def test_newer_gpu_generations_are_selectable(family: str, instance: str) -> None:
    app = cdk.App(
        context={"accelerator_mode": "successor", "successor_family": family, "env": "staging"},
        builtin_cloud_formation_validation=False,
    )
    (stack,) = build_app(app, {}).values()
    properties = config(stack)
    assert [v["InstanceType"] for v in properties["ProductionVariants"]] == [instance]
    assert "KmsKeyId" not in properties  # g5 and g6 have local NVMe storage, as g4dn


def test_inferentia2_by_context_is_refused_naming_neuron() -> None:
    app = cdk.App(context={"accelerator_mode": "successor", "successor_family": "inferentia2", "env": "staging"})
    with pytest.raises(
        EIEndpointPropsError, match=r"neuron_model: \['ml.inf2.xlarge'\] run only models compiled with AWS Neuron"
    ):
        build_app(app, {})


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (
            {"accelerator_mode": "successor", "successor_family": "tpu"},
            "successor_family: expected one of gpu, gpu-g5, gpu-g6, cpu, inferentia2, got 'tpu'",
        ),
        ({"successor_family": "cpu"}, "successor_family: 'cpu' applies in successor mode only"),
        ({"accelerator_mode": "successor", "shadow_family": "fpga"}, "shadow_family: expected one of gpu, gpu-g5"),
        (
            {"accelerator_mode": "successor", "shadow_family": "cpu", "env": "prod"},
            "shadow_family: prod's ImageClassifier has 2 production variants",
        ),
    ],
)
def test_bad_family_context_is_one_line_naming_the_flag(context: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=r"_family") as error:
        build_app(cdk.App(context=context), {})
    problems = getattr(error.value, "problems", [str(error.value)])
    assert len(problems) == 1
    assert "\n" not in problems[0]
    assert message in problems[0]


def test_family_switch_of_an_autoscaled_variant_is_flagged_by_review(cpu_templates: dict[str, dict[str, Any]]) -> None:
    gpu = templates(env="staging")["staging"]
    findings = update_findings(gpu, cpu_templates["staging"])
    assert [f.severity for f in findings] == ["fails on AWS"]
    assert "changes instance type ml.g4dn.xlarge -> ml.c6i.xlarge" in findings[0].text
    assert update_findings(cpu_templates["staging"], cpu_templates["staging"]) == []


# ---- per endpoint and per variant ---------------------------------------------------------------


def test_a_variants_family_wins_over_the_endpoints(make_endpoint: EndpointFactory) -> None:
    variants = [variant(successor_family=SuccessorFamily.GPU_G6)]
    _, endpoint = make_endpoint(accelerator_mode=SUCCESSOR, successor_family=SuccessorFamily.CPU, variants=variants)
    assert endpoint.deployed_instance_types == ("ml.g6.xlarge",)
    _, cpu = make_endpoint(accelerator_mode=SUCCESSOR, successor_family=SuccessorFamily.CPU)
    assert cpu.deployed_instance_types == ("ml.m6i.large",)
    assert cpu.image_uri.endswith("tensorflow-inference:2.3.0-cpu")


def test_the_family_does_not_matter_in_ei_mode(make_endpoint: EndpointFactory) -> None:
    _, endpoint = make_endpoint(successor_family=SuccessorFamily.INFERENTIA2)
    assert endpoint.deployed_instance_types == ("ml.m5.large",)


def test_inferentia2_with_a_neuron_model_lands_on_inf2_with_the_compiled_artifact(
    make_endpoint: EndpointFactory,
) -> None:
    stack = new_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Models", "models")
    compiled = ModelData.from_bucket(bucket, "neuron/model.tar.gz")
    neuron = NeuronModel(image=ContainerImage.from_registry(NEURON_IMAGE), model_data=compiled)
    _, endpoint = make_endpoint(
        stack=stack,
        accelerator_mode=SUCCESSOR,
        successor_family=SuccessorFamily.INFERENTIA2,
        model_data=ModelData.from_bucket(bucket, "ei/model.tar.gz"),
        neuron_model=neuron,
    )
    assert endpoint.deployed_instance_types == ("ml.inf2.xlarge",)
    template = dict(assertions.Template.from_stack(stack).to_json())
    (model,) = of_type(template, "AWS::SageMaker::Model")
    container = json.dumps(model["Properties"]["PrimaryContainer"])
    assert NEURON_IMAGE in container
    assert "neuron/model.tar.gz" in container
    assert "ei/model.tar.gz" not in container
    assert "AcceleratorType" not in json.dumps(template)
    assert cfn_lint_check.findings(template, region="us-east-1", allow_ei_accelerator=False) == []


def test_neuron_and_other_production_variants_cannot_share_the_one_model(make_endpoint: EndpointFactory) -> None:
    variants = [variant("A"), variant("B", successor_family=SuccessorFamily.INFERENTIA2)]
    neuron = NeuronModel(image=ContainerImage.from_registry(NEURON_IMAGE))
    with pytest.raises(EIEndpointPropsError, match=r"mix AWS Neuron and other instances"):
        make_endpoint(accelerator_mode=SUCCESSOR, variants=variants, neuron_model=neuron)


# ---- shadow variants ----------------------------------------------------------------------------


def shadowed(**shadow: Any) -> list[Any]:
    return [variant(shadow=ShadowVariant(variant_name="Shadow", **shadow))]


def test_a_cpu_shadow_of_a_gpu_variant_gets_its_own_model_and_a_copy_of_all_traffic(
    make_endpoint: EndpointFactory,
) -> None:
    stack, endpoint = make_endpoint(accelerator_mode=SUCCESSOR, variants=shadowed(successor_family=SuccessorFamily.CPU))
    props = config(stack)
    (shadow,) = props["ShadowProductionVariants"]
    assert (shadow["VariantName"], shadow["InstanceType"], shadow["InitialInstanceCount"]) == (
        "Shadow",
        "ml.m6i.large",
        1,
    )
    assert shadow["InitialVariantWeight"] == props["ProductionVariants"][0]["InitialVariantWeight"]
    models = assertions.Template.from_stack(stack).find_resources("AWS::SageMaker::Model")
    images = {k: m["Properties"]["PrimaryContainer"]["Image"] for k, m in models.items()}
    assert shadow["ModelName"] == {
        "Fn::GetAtt": [endpoint.stack.get_logical_id(endpoint.shadow_models["Shadow"]), "ModelName"]
    }
    assert sorted(i.rsplit(":", 1)[1] for i in images.values()) == ["2.3.0-cpu", "2.3.0-gpu"]
    assert [(s.name, s.source, s.instance_type) for s in endpoint.shadow_variants] == [
        ("Shadow", "AllTraffic", "ml.m6i.large")
    ]
    metric = stack.resolve(endpoint.metric_invocations(variant_name="Shadow").dimensions)
    assert metric["VariantName"] == "Shadow"
    assert stack.resolve(endpoint.metric_invocations().dimensions)["VariantName"] == "AllTraffic"
    with pytest.raises(ValueError, match=r"variant_name: expected one of \['AllTraffic', 'Shadow'\]"):
        endpoint.metric_invocations(variant_name="Other")


def test_a_shadow_of_another_size_shares_the_production_model(make_endpoint: EndpointFactory) -> None:
    stack, endpoint = make_endpoint(
        accelerator_mode=SUCCESSOR, variants=shadowed(successor_instance_type="ml.g4dn.2xlarge")
    )
    assert len(assertions.Template.from_stack(stack).find_resources("AWS::SageMaker::Model")) == 1
    assert endpoint.shadow_models == {}
    assert config(stack)["ShadowProductionVariants"][0]["InstanceType"] == "ml.g4dn.2xlarge"


def test_a_shadow_on_instance_storage_drops_the_configs_storage_key(make_endpoint: EndpointFactory) -> None:
    cpu = [variant(successor_family=SuccessorFamily.CPU)]
    stack, _ = make_endpoint(accelerator_mode=SUCCESSOR, variants=cpu)
    assert "KmsKeyId" in config(stack)
    with_gpu_shadow = [
        variant(
            successor_family=SuccessorFamily.CPU,
            shadow=ShadowVariant(variant_name="Shadow", successor_family=SuccessorFamily.GPU),
        )
    ]
    stack, _ = make_endpoint(accelerator_mode=SUCCESSOR, variants=with_gpu_shadow)
    assert "KmsKeyId" not in config(stack)


def test_a_neuron_shadow_runs_the_neuron_model_and_its_role_may_pull_it(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    repository = ecr.Repository.from_repository_name(stack, "Neuron", "neuron-model")
    neuron = NeuronModel(image=ContainerImage.from_ecr_repository(repository, "1"))
    _, endpoint = make_endpoint(
        stack=stack,
        accelerator_mode=SUCCESSOR,
        variants=shadowed(successor_family=SuccessorFamily.INFERENTIA2),
        neuron_model=neuron,
    )
    assert endpoint.deployed_instance_types == ("ml.g4dn.xlarge",)
    assert [s.instance_type for s in endpoint.shadow_variants] == ["ml.inf2.xlarge"]
    policies = json.dumps(assertions.Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy"))
    assert "repository/neuron-model" in policies
    assert "ecr:BatchGetImage" in policies


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"accelerator_mode": AcceleratorMode.ELASTIC_INFERENCE},
            r"variants\[0\].shadow: shadow variants need successor mode: SageMaker excludes Elastic Inference "
            r"endpoints from shadow testing \(https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions",
        ),
        (
            {"variants": [*shadowed(), variant("Second")]},
            r"variants\[0\].shadow: SageMaker allows a shadow variant only beside exactly one production variant, "
            r"and this endpoint has 2",
        ),
        (
            {
                "variants": shadowed(successor_instance_type="ml.inf1.xlarge"),
                "neuron_model": NeuronModel(image=ContainerImage.from_registry(NEURON_IMAGE)),
            },
            r"variants\[0\].shadow: SageMaker excludes endpoints on Inf1 instances \(ml.inf1.xlarge\) from shadow",
        ),
        (
            {"variants": [variant(shadow=ShadowVariant(variant_name="AllTraffic"))]},
            r"variants\[0\].shadow.variant_name: 'AllTraffic' is already a production variant's name",
        ),
        (
            {"variants": [variant(shadow=ShadowVariant(variant_name="bad_name"))]},
            r"variants\[0\].shadow.variant_name: .*'bad_name'",
        ),
        ({"variants": shadowed(initial_instance_count=0)}, r"variants\[0\].shadow.initial_instance_count"),
        (
            {"variants": shadowed(successor_instance_type="ml.eia2.medium")},
            r"variants\[0\].shadow.successor_instance_type",
        ),
    ],
)
def test_shadows_sagemaker_refuses_are_refused_before_anything_is_built(
    make_endpoint: EndpointFactory, overrides: dict[str, Any], message: str
) -> None:
    stack = new_stack()
    props: dict[str, Any] = {"accelerator_mode": SUCCESSOR, "variants": shadowed()} | overrides
    with pytest.raises(EIEndpointPropsError, match=message):
        make_endpoint(stack=stack, **props)
    assert stack.node.children == []


def test_a_shadow_by_context_lands_in_staging_lints_clean_and_shows_in_review() -> None:
    (template,) = templates(env="staging", successor_family="gpu", shadow_family="cpu").values()
    ((props),) = [c["Properties"] for c in of_type(template, "AWS::SageMaker::EndpointConfig")]
    assert [(v["VariantName"], v["InstanceType"]) for v in props["ShadowProductionVariants"]] == [
        ("Shadow", "ml.c6i.xlarge")
    ]
    assert cfn_lint_check.findings(template, region="us-west-2", allow_ei_accelerator=False) == []
    rows = [row for row in posture(template) if row[1].startswith("shadow variant")]
    assert len(rows) == 1
    assert rows[0][:2] == ("ImageClassifier", "shadow variant Shadow")
    assert rows[0][2].startswith("ml.c6i.xlarge x 1 (ImageClassifierShadowModel")
    assert rows[0][2].endswith("gets a copy of AllTraffic's traffic")
    summary = [(r.variant, r.instance_type, r.weight) for r in variant_rows("SageMakerEI-staging", template)]
    assert summary[1:] == [("Shadow (shadow)", "ml.c6i.xlarge", "copy")]
    # Adding the shadow leaves the autoscaled production variant as it was: nothing fails on AWS.
    assert update_findings(templates(env="staging")["staging"], template) == []
