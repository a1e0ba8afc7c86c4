"""The rules AWS documents for SageMaker hosting (docs/aws-contract.md), each proven by breaking it."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_ec2 as ec2

from sagemaker_ei_endpoint import (
    AcceleratorMode,
    AcceleratorType,
    ContainerImage,
    DeploymentGuardrails,
    EIEndpoint,
    EIEndpointPropsError,
    EIFramework,
    NeuronModel,
    ProductionVariant,
    TrafficShift,
    VariantAutoscaling,
    VpcPlacement,
)
from sagemaker_ei_endpoint.contract import (
    WARNING_EI_ZONES_UNKNOWN,
    WARNING_GUARDRAILS_IGNORED,
    WARNING_NETWORK_ISOLATION,
)
from stacks.app_builder import build_app
from stacks.app_errors import synth_or_exit
from tests.conftest import EndpointFactory, cdk_json_context, new_stack, variant
from tools.review import update_section
from tools.update_rules import update_behaviour, update_findings

ROOT = Path(__file__).resolve().parent.parent
SUCCESSOR = AcceleratorMode.SUCCESSOR
MXNET = ContainerImage.from_ei_framework(EIFramework.MXNET, "1.7.0")
SCALING = VariantAutoscaling(min_instance_count=1, max_instance_count=4, target_invocations_per_instance=100)
LINEAR = DeploymentGuardrails.blue_green(TrafficShift.linear(percent=50, wait=cdk.Duration.minutes(1)))


def template_of(stack: cdk.Stack) -> dict[str, Any]:
    return dict(assertions.Template.from_stack(stack).to_json())


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of every execution policy of ``template`` (one per endpoint)."""
    policies = [p for k, p in of_type(template, "AWS::IAM::ManagedPolicy").items() if "ExecutionPolicy" in k]
    assert policies
    return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]


def actions(template: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in policy_statements(template):
        action = statement["Action"]
        found |= {action} if isinstance(action, str) else set(action)
    return found


def warnings(stack: cdk.Stack, warning_id: str) -> list[str]:
    found = assertions.Annotations.from_stack(stack).find_warning("*", assertions.Match.any_value())
    return [str(w.entry.data) for w in found if warning_id in str(w.entry.data)]


def isolated(template: dict[str, Any]) -> bool:
    (model,) = of_type(template, "AWS::SageMaker::Model").values()
    return bool(model["Properties"]["EnableNetworkIsolation"])


def isolated_vpc(stack: cdk.Stack, *, zones: int) -> ec2.Vpc:
    return ec2.Vpc(
        stack,
        "Vpc",
        max_azs=zones,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )


# ---- 1. Elastic Inference permissions ("Set Up to Use EI") ---------------------------------------


def test_ei_role_may_connect_to_accelerators_and_describe_vpc_endpoints(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint()
    template = template_of(stack)
    assert {"elastic-inference:Connect", "ec2:DescribeVpcEndpoints"} <= actions(template)
    (connect,) = [s for s in policy_statements(template) if s["Action"] == "elastic-inference:Connect"]
    # Scoped to accelerators of the endpoint's region; never "*".
    assert connect["Resource"] == "arn:aws:elastic-inference:us-east-1:*:elastic-inference-accelerator/*"


def test_successor_role_carries_no_elastic_inference_permission(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(accelerator_mode=SUCCESSOR)
    assert not {"elastic-inference:Connect", "ec2:DescribeVpcEndpoints"} & actions(template_of(stack))


def test_every_environment_template_in_ei_mode_allows_connect(
    environment_templates: dict[str, assertions.Template],
) -> None:
    # The session's templates: Template.from_stack here would synthesize the whole app again per stack.
    for name, synthesized in environment_templates.items():
        template = dict(synthesized.to_json())
        policies = [k for k in of_type(template, "AWS::IAM::ManagedPolicy") if "ExecutionPolicy" in k]
        connects = [s for s in policy_statements(template) if s["Action"] == "elastic-inference:Connect"]
        assert len(connects) == len(policies), name  # every endpoint's role


# ---- 2. Elastic Inference in a VPC ------------------------------------------------------------------


def test_ei_in_a_vpc_gets_an_interface_endpoint_and_two_security_groups(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    make_endpoint(stack=stack, vpc=VpcPlacement(vpc=isolated_vpc(stack, zones=2)))
    template = template_of(stack)
    (endpoint,) = of_type(template, "AWS::EC2::VPCEndpoint").values()
    assert endpoint["Properties"]["ServiceName"] == "com.amazonaws.us-east-1.elastic-inference.runtime"
    assert endpoint["Properties"]["VpcEndpointType"] == "Interface"
    assert len(endpoint["Properties"]["SubnetIds"]) == 2
    groups = of_type(template, "AWS::EC2::SecurityGroup")
    client = next(k for k in groups if k.startswith("EndpointElasticInferenceClient"))
    endpoint_group = next(k for k in groups if k.startswith("EndpointElasticInferenceEndpointSecurityGroup"))
    # The endpoint's group admits the model's EI group on 443 only; the model's EI group may only call it.
    (ingress,) = of_type(template, "AWS::EC2::SecurityGroupIngress").values()
    assert ingress["Properties"]["FromPort"] == ingress["Properties"]["ToPort"] == 443
    assert ingress["Properties"]["SourceSecurityGroupId"] == {"Fn::GetAtt": [client, "GroupId"]}
    assert ingress["Properties"]["GroupId"] == {"Fn::GetAtt": [endpoint_group, "GroupId"]}
    (egress,) = of_type(template, "AWS::EC2::SecurityGroupEgress").values()
    assert egress["Properties"]["DestinationSecurityGroupId"] == {"Fn::GetAtt": [endpoint_group, "GroupId"]}
    (model,) = of_type(template, "AWS::SageMaker::Model").values()
    assert {"Fn::GetAtt": [client, "GroupId"]} in model["Properties"]["VpcConfig"]["SecurityGroupIds"]


def test_ei_in_one_availability_zone_is_refused(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    with pytest.raises(
        EIEndpointPropsError, match=r"vpc.vpc_subnets: Elastic Inference in a VPC needs subnets in at least 2"
    ):
        make_endpoint(stack=stack, vpc=VpcPlacement(vpc=isolated_vpc(stack, zones=1)))
    assert stack.node.try_find_child("Endpoint") is None


def test_ei_with_unknown_zones_is_warned_about(make_endpoint: EndpointFactory) -> None:
    stack = new_stack(region=None)  # environment-agnostic: the VPC's zones are tokens
    make_endpoint(stack=stack, vpc=VpcPlacement(vpc=isolated_vpc(stack, zones=2)))
    assert len(warnings(stack, WARNING_EI_ZONES_UNKNOWN)) == 1


def test_an_existing_ei_interface_endpoint_is_used(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    vpc = isolated_vpc(stack, zones=1)  # its zones are the existing endpoint's business
    existing = ec2.InterfaceVpcEndpoint.from_interface_vpc_endpoint_attributes(
        stack,
        "Existing",
        vpc_endpoint_id="vpce-0123456789abcdef0",
        port=443,
        security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "ExistingGroup", "sg-0123456789abcdef0")],
    )
    make_endpoint(stack=stack, vpc=VpcPlacement(vpc=vpc, elastic_inference_endpoint=existing))
    template = template_of(stack)
    assert of_type(template, "AWS::EC2::VPCEndpoint") == {}
    (ingress,) = of_type(template, "AWS::EC2::SecurityGroupIngress").values()
    assert ingress["Properties"]["GroupId"] == "sg-0123456789abcdef0"


def test_successor_in_a_vpc_gets_nothing_for_elastic_inference(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    make_endpoint(stack=stack, accelerator_mode=SUCCESSOR, vpc=VpcPlacement(vpc=isolated_vpc(stack, zones=1)))
    template = template_of(stack)
    assert of_type(template, "AWS::EC2::VPCEndpoint") == {}
    assert len(of_type(template, "AWS::EC2::SecurityGroup")) == 1


# ---- 3. Network isolation -------------------------------------------------------------------------


def test_ei_runs_without_isolation_by_default_and_warns_when_asked_for_it(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(image=MXNET)
    assert not isolated(template_of(stack))
    assert warnings(stack, WARNING_NETWORK_ISOLATION) == []
    stack, _ = make_endpoint(image=MXNET, network_isolation=True)
    assert isolated(template_of(stack))
    assert len(warnings(stack, WARNING_NETWORK_ISOLATION)) == 1


def test_successor_isolation_follows_what_aws_supports(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(image=MXNET, accelerator_mode=SUCCESSOR)
    assert isolated(template_of(stack))  # MXNet is not on AWS's list of containers that cannot be isolated
    stack, _ = make_endpoint(accelerator_mode=SUCCESSOR)  # TensorFlow is
    assert not isolated(template_of(stack))
    stack, _ = make_endpoint(accelerator_mode=SUCCESSOR, network_isolation=True)
    assert isolated(template_of(stack))
    assert len(warnings(stack, WARNING_NETWORK_ISOLATION)) == 1


# ---- 4. Deployment guardrails --------------------------------------------------------------------


def test_guardrails_on_an_ei_endpoint_are_warned_about_once(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(deployment=LINEAR)
    (warning,) = warnings(stack, WARNING_GUARDRAILS_IGNORED)
    assert "blue/green LINEAR 50 %" in warning
    assert "all-at-once traffic shifting and no final baking period" in warning


def test_guardrails_on_an_inf1_successor_are_warned_about(make_endpoint: EndpointFactory) -> None:
    inf1 = [variant(successor_instance_type="ml.inf1.xlarge")]
    stack, _ = make_endpoint(
        accelerator_mode=SUCCESSOR, variants=inf1, deployment=LINEAR, neuron_model=NeuronModel(image=MXNET), image=MXNET
    )
    (warning,) = warnings(stack, WARNING_GUARDRAILS_IGNORED)
    assert "Inf1" in warning


def test_guardrails_on_a_gpu_successor_are_not_warned_about(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(accelerator_mode=SUCCESSOR, deployment=LINEAR)
    assert warnings(stack, WARNING_GUARDRAILS_IGNORED) == []


def test_review_says_what_sagemaker_does_with_guardrails(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(deployment=LINEAR)
    (shifting,) = [text for _, aspect, text in update_behaviour(template_of(stack)) if aspect == "traffic shifting"]
    assert "Elastic Inference endpoints are excluded" in shifting
    assert shifting.endswith("SageMaker does blue/green, all at once, no baking period")
    stack, _ = make_endpoint(deployment=LINEAR, accelerator_mode=SUCCESSOR)
    (shifting,) = [text for _, aspect, text in update_behaviour(template_of(stack)) if aspect == "traffic shifting"]
    assert shifting == "blue/green LINEAR 50 %, with its rollback alarms"


# ---- 5. Autoscaling --------------------------------------------------------------------------------


def test_autoscaled_endpoints_keep_their_capacity_on_update(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(variants=[variant(autoscaling=SCALING)])
    (endpoint,) = of_type(template_of(stack), "AWS::SageMaker::Endpoint").values()
    assert endpoint["Properties"]["RetainAllVariantProperties"] is True
    # Weights are the template's to set: a deliberate change wins over what is live.
    assert endpoint["Properties"]["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredWeight"}]
    stack, _ = make_endpoint()
    (endpoint,) = of_type(template_of(stack), "AWS::SageMaker::Endpoint").values()
    assert "RetainAllVariantProperties" not in endpoint["Properties"]


def test_every_autoscaled_environment_retains_variant_properties(
    environment_templates: dict[str, assertions.Template],
) -> None:
    for name, synthesized in environment_templates.items():
        template = dict(synthesized.to_json())
        if of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget"):
            (endpoint,) = of_type(template, "AWS::SageMaker::Endpoint").values()
            assert endpoint["Properties"]["RetainAllVariantProperties"] is True, name


def test_autoscaling_a_burstable_host_is_refused(make_endpoint: EndpointFactory) -> None:
    with pytest.raises(
        EIEndpointPropsError, match=r"variants\[0\].autoscaling: SageMaker does not auto scale burstable"
    ):
        make_endpoint(variants=[variant(instance_type="ml.t2.medium", autoscaling=SCALING)])
    # Off EI the deployed host decides: a t2 host's successor (g4dn) scales.
    make_endpoint(accelerator_mode=SUCCESSOR, variants=[variant(instance_type="ml.t2.medium", autoscaling=SCALING)])


def autoscaled_template(
    *,
    instance_type: str = "ml.c5.xlarge",
    scaling: bool = True,
    mode: AcceleratorMode = AcceleratorMode.ELASTIC_INFERENCE,
) -> dict[str, Any]:
    stack = new_stack()
    EIEndpoint(
        stack,
        "Endpoint",
        image=MXNET,
        accelerator_mode=mode,
        variants=[variant("Primary", instance_type=instance_type, autoscaling=SCALING if scaling else None)],
    )
    return template_of(stack)


def test_changing_an_autoscaled_instance_type_is_flagged_as_failing_on_aws() -> None:
    before = autoscaled_template()
    (finding,) = update_findings(before, autoscaled_template(mode=SUCCESSOR))
    assert finding.severity == "fails on AWS"
    assert "changes instance type ml.c5.xlarge -> ml.g4dn.xlarge" in finding.text
    assert "three deployments" in finding.text
    assert "docs/aws-contract.md" in finding.text
    assert update_findings(before, autoscaled_template(instance_type="ml.c5.2xlarge"))


def test_removing_an_autoscaled_variant_is_flagged() -> None:
    before = autoscaled_template()
    after = copy.deepcopy(before)
    (config,) = of_type(after, "AWS::SageMaker::EndpointConfig").values()
    config["Properties"]["ProductionVariants"][0]["VariantName"] = "Renamed"
    (finding,) = update_findings(before, after)
    assert "autoscaled variant Primary is removed" in finding.text


def test_the_documented_three_step_path_passes_every_step() -> None:
    start = autoscaled_template()
    unscaled = autoscaled_template(scaling=False)
    moved = autoscaled_template(scaling=False, mode=SUCCESSOR)
    done = autoscaled_template(mode=SUCCESSOR)
    assert update_findings(start, unscaled) == []
    assert update_findings(unscaled, moved) == []
    assert update_findings(moved, done) == []
    assert update_findings(start, done)  # the one-step shortcut is what fails


# ---- 6. Alarm delivery ----------------------------------------------------------------------------


def service_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in document["Statement"] if s["Effect"] == "Allow" and "Service" in s.get("Principal", {})]


def test_alarm_topic_lets_only_this_stacks_alarms_publish(
    environment_templates: dict[str, assertions.Template],
) -> None:
    template = dict(environment_templates["prod"].to_json())
    (topic_policy,) = of_type(template, "AWS::SNS::TopicPolicy").values()
    (publish,) = service_statements(topic_policy["Properties"]["PolicyDocument"])
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "222222222222"}
    source = json.dumps(publish["Condition"]["ArnLike"]["aws:SourceArn"])
    assert ":cloudwatch:us-east-1:222222222222:alarm:SageMakerEI-prod-*" in source
    # ...and the alarms it lets in are this stack's: CloudFormation names them <stack>-<logical id>-<suffix>.
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    assert alarms
    assert all("AlarmName" not in a["Properties"] for a in alarms.values())


@pytest.mark.parametrize("mode", ["elastic-inference", "successor"])
def test_no_key_or_topic_grants_a_service_without_a_condition(mode: str) -> None:
    app = cdk.App(context=cdk_json_context() | {"accelerator_mode": mode}, builtin_cloud_formation_validation=False)
    stacks = build_app(app, {})
    for stack in stacks.values():
        template = template_of(stack)
        documents = [k["Properties"]["KeyPolicy"] for k in of_type(template, "AWS::KMS::Key").values()]
        documents += [p["Properties"]["PolicyDocument"] for p in of_type(template, "AWS::SNS::TopicPolicy").values()]
        documents += [p["Properties"]["PolicyDocument"] for p in of_type(template, "AWS::S3::BucketPolicy").values()]
        for document in documents:
            for statement in service_statements(document):
                assert "Condition" in statement, (stack.stack_name, statement)


# ---- 8. Errors people can act on --------------------------------------------------------------------


def run_app(tmp_path: Path, context: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps(cdk_json_context() | context),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def test_a_bad_context_flag_is_one_line_and_removes_the_stale_assembly(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")  # a previous synth's assembly
    result = run_app(tmp_path, {"env": "nope"})
    assert result.returncode == 1
    assert result.stderr.strip() == "error: env: unknown environment 'nope'; expected one of dev, staging, prod"
    assert not tmp_path.exists()


def test_bad_settings_print_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "manifest.json").write_text("{}")

    def bad_settings() -> None:
        ProductionVariant(variant_name="A", instance_type="ml.m5.large", accelerator_type=AcceleratorType.of("ml.eia9"))

    with pytest.raises(SystemExit) as exit_:
        synth_or_exit(str(tmp_path), bad_settings)
    assert exit_.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: accelerator_type: unknown Elastic Inference accelerator 'ml.eia9'; expected one of "
        "ml.eia1.large, ml.eia1.medium, ml.eia1.xlarge, ml.eia2.large, ml.eia2.medium, ml.eia2.xlarge"
    ]
    assert not tmp_path.exists()


# ---- 7. API constraints from botocore's service model (the property tests use it as their oracle) ----


GENERATOR = ROOT / "scripts" / "generate_api_constraints.py"


def test_committed_api_constraints_are_what_botocore_says() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr


def test_a_stale_api_constraints_file_is_caught(tmp_path: Path) -> None:
    stale = tmp_path / "api_constraints.json"
    committed = json.loads((ROOT / "constructs/src/sagemaker_ei_endpoint/data/api_constraints.json").read_text())
    committed["fields"]["variant_name"]["max"] = 64
    stale.write_text(json.dumps(committed))
    check = [sys.executable, str(GENERATOR), "--check", "--output", str(stale)]
    assert subprocess.run(check, capture_output=True, check=False).returncode == 1


def test_a_bool_is_not_a_count(make_endpoint: EndpointFactory) -> None:
    with pytest.raises(EIEndpointPropsError, match=r"variants\[0\].initial_instance_count: must be an integer"):
        make_endpoint(variants=[variant(initial_instance_count=True)])


def test_long_names_are_refused_at_the_apis_maximum(make_endpoint: EndpointFactory) -> None:
    make_endpoint(endpoint_name="a" * 63)
    with pytest.raises(EIEndpointPropsError, match=r"endpoint_name: at most 63 characters, got 64"):
        make_endpoint(endpoint_name="a" * 64)


def test_make_reviews_update_section_marks_the_failing_change() -> None:
    rows = "\n".join(update_section(autoscaled_template(mode=SUCCESSOR), autoscaled_template()))
    assert "| **fails on AWS** | autoscaled variant Primary changes instance type" in rows
    assert "instance counts set by auto scaling are kept; DesiredWeight from the template" in rows


def test_a_subnet_selection_in_one_zone_is_refused_for_ei(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    vpc = isolated_vpc(stack, zones=2)
    one_zone = ec2.SubnetSelection(availability_zones=[vpc.availability_zones[0]])
    with pytest.raises(EIEndpointPropsError, match=r"needs subnets in at least 2 Availability Zones"):
        make_endpoint(stack=stack, vpc=VpcPlacement(vpc=vpc, vpc_subnets=one_zone))
    make_endpoint(stack=stack, vpc=VpcPlacement(vpc=vpc, vpc_subnets=one_zone), accelerator_mode=SUCCESSOR)


@pytest.mark.parametrize("mode", ["elastic-inference", "successor"])
def test_no_environment_key_lets_the_account_do_everything(mode: str) -> None:
    # Administration apart from use on every key the environments create, the alarm topic's included.
    app = cdk.App(context=cdk_json_context() | {"accelerator_mode": mode}, builtin_cloud_formation_validation=False)
    for stack in build_app(app, {}).values():
        for key_id, key in of_type(template_of(stack), "AWS::KMS::Key").items():
            for statement in key["Properties"]["KeyPolicy"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert "kms:*" not in actions, (stack.stack_name, key_id)
                if "kms:Decrypt" in actions:
                    assert "Condition" in statement, (stack.stack_name, key_id, statement)
