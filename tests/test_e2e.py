"""End to end: the real CDK CLI deploys every environment into a local emulator started here.

Run alone with `pytest -m e2e`. The emulator gets a free loopback port and is stopped however the
tests end.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_cdk import assertions

from stacks.environments import ENVIRONMENTS
from tests.conftest import ROOT
from tools.emulator import ACCOUNT, Emulator, EmulatorEndpoint, account_credentials

pytestmark = pytest.mark.e2e
REGIONS = {"dev": "us-east-1", "staging": "us-west-2", "prod": "us-east-1"}
TIMEOUT = 600
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, EmulatorEndpoint]]:
    server = Emulator(log_path=tmp_path_factory.mktemp("emulator") / "moto.log")
    endpoint = server.start()
    saved = dict(os.environ)
    os.environ.update(endpoint.client_environment())
    try:
        yield server, endpoint
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


def run_tool(module: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, input=stdin, capture_output=True, timeout=TIMEOUT, check=False
    )


# Each environment lives in its own account of the emulator, as configured; dev in the default one.
ACCOUNTS = {name: env.account or ACCOUNT for name, env in ENVIRONMENTS.items()}


def session(env: str) -> Any:
    """A session in the environment's own account and region of the emulator."""
    credentials = account_credentials(ACCOUNTS[env])
    return boto3.session.Session(
        region_name=REGIONS[env],
        aws_access_key_id=credentials.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=credentials.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
    )


def as_account(env: str) -> list[str]:
    """The invoke client's way into another account (the pipeline passes its smoke-test role)."""
    return [] if ACCOUNTS[env] == ACCOUNT else ["--assume-role", f"arn:aws:iam::{ACCOUNTS[env]}:role/emulator-admin"]


def outputs(env: str) -> dict[str, str]:
    (stack,) = session(env).client("cloudformation").describe_stacks(StackName=f"SageMakerEI-{env}")["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def sagemaker_resources(env: str) -> list[str]:
    client = session(env).client("sagemaker")
    return (
        [m["ModelName"] for m in client.list_models()["Models"]]
        + [c["EndpointConfigName"] for c in client.list_endpoint_configs()["EndpointConfigs"]]
        + [e["EndpointName"] for e in client.list_endpoints()["Endpoints"]]
    )


def test_make_deploy_brings_up_every_environment(emulator: tuple[Emulator, EmulatorEndpoint]) -> None:
    _, endpoint = emulator
    result = run_tool("tools.deploy", "deploy", "--emulator-url", endpoint.url)
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 0, output[-4000:]
    # one row per variant: dev 2 (two endpoints, each with an AllTraffic variant), staging 1, prod 2
    assert output.count("InService") == 5
    for env in ENVIRONMENTS.values():
        for settings in env.endpoints:
            assert f"{env.name} {settings.construct_id}: SageMakerEI-{env.name}-" in output
    assert "image/png request" in output  # the object detector is sent an image
    # every resource is checked; what moto's CloudFormation skips is "not emulated", never "yes"
    lines = output.splitlines()
    alarms = [line for line in lines if "AWS::CloudWatch::Alarm" in line]
    assert len(alarms) == 6  # staging 2, prod 4: created through tools/moto_patches.py, and found
    assert all(line.rstrip().endswith("yes") for line in alarms)
    dashboards = [line for line in lines if "AWS::CloudWatch::Dashboard" in line]
    assert len(dashboards) == 3  # one per environment, created by moto and read back with get_dashboard
    assert all(line.rstrip().endswith("yes") for line in dashboards)
    # staging 1 and prod 2 of each; created through tools/moto_patches.py, compared with the templates
    for kind in ("ApplicationAutoScaling::ScalableTarget", "ApplicationAutoScaling::ScalingPolicy"):
        rows = [line for line in lines if f"AWS::{kind}" in line]
        assert len(rows) == 3
        assert all(line.rstrip().endswith("yes") for line in rows)
    for kind in ("SNS::TopicPolicy", "S3::BucketPolicy"):
        rows = [line for line in lines if f"AWS::{kind}" in line]
        assert len(rows) == 2
        assert all(line.rstrip().endswith("yes") for line in rows)
    assert re.search(r"\d+ resources: \d+ landed as synthesized, 0 not emulated", output)
    for model in (line for line in lines if "AWS::SageMaker::Model" in line):
        assert model.rstrip().endswith("yes")
    assert re.search(r"\d+ resources: \d+ landed as synthesized, \d+ not emulated", output)


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_every_variant_landed_with_its_instance_type_and_accelerator(
    emulator: tuple[Emulator, EmulatorEndpoint], env: str
) -> None:
    client = session(env).client("sagemaker")
    for settings in ENVIRONMENTS[env].endpoints:
        name = outputs(env)[f"{settings.construct_id}EndpointName"]
        described = client.describe_endpoint(EndpointName=name)
        assert described["EndpointStatus"] == "InService"
        config = client.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
        landed = [(v["VariantName"], v["InstanceType"], v["AcceleratorType"]) for v in config["ProductionVariants"]]
        assert landed == [(v.variant_name, v.instance_type, v.accelerator_type.name) for v in settings.variants]
        assert outputs(env)[f"{settings.construct_id}EndpointArn"].startswith(
            f"arn:aws:sagemaker:{REGIONS[env]}:{ACCOUNTS[env]}:endpoint/"
        )


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_landed_templates_are_the_synthesized_ones_in_their_own_accounts(
    emulator: tuple[Emulator, EmulatorEndpoint], environment_templates: dict[str, assertions.Template], env: str
) -> None:
    body = session(env).client("cloudformation").get_template(StackName=f"SageMakerEI-{env}")["TemplateBody"]
    landed = body if isinstance(body, dict) else json.loads(body)
    for resource in landed["Resources"].values():
        resource.get("Metadata", {}).pop("aws:cdk:path", None)
        if resource.get("Metadata") == {}:
            del resource["Metadata"]
    expected = json.dumps(environment_templates[env].to_json(), sort_keys=True)
    configured = ENVIRONMENTS[env]
    actual = json.dumps(landed, sort_keys=True)
    if configured.region is None:
        # dev is environment-agnostic in the tests and pinned to the CLI's region when deployed.
        assert '"Fn::FindInMap"' in expected
        assert REGIONS[env] in actual
        return
    assert actual == expected


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_invoke_client_returns_the_queued_response(emulator: tuple[Emulator, EmulatorEndpoint], env: str) -> None:
    _, endpoint = emulator
    queued = json.dumps({"label": "tabby cat", "environment": env})
    queue = [{"Body": queued, "ContentType": "application/json"}]
    endpoint.queue_invoke_results(region=REGIONS[env], account=ACCOUNTS[env], results=queue)
    payload = json.dumps({"instances": [[1, 2, 3]], "test": env}).encode()
    result = run_tool(
        "tools.invoke", env, "--endpoint", "ImageClassifier", *as_account(env), "--payload", "-", stdin=payload
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == queued


@pytest.mark.parametrize("content_type", [None, "application/x-image", "image/jpeg"])
def test_invoke_client_sends_an_image_to_the_object_detector(
    emulator: tuple[Emulator, EmulatorEndpoint], tmp_path: Any, content_type: str | None
) -> None:
    _, endpoint = emulator
    endpoint.queue_invoke_results(region=REGIONS["dev"], results=[{"Body": '{"prediction": []}'}])
    # moto answers a body it has seen before from its cache: bytes after the image's end make each one new
    image = JPEG if content_type == "image/jpeg" else (ROOT / "examples" / "smoke-image.png").read_bytes()
    (tmp_path / "image").write_bytes(image + f"{content_type}".encode())
    chosen = ["--content-type", content_type] if content_type else []
    payload = ["--payload", str(tmp_path / "image")]
    result = run_tool("tools.invoke", "dev", "--endpoint", "ObjectDetector", *payload, *chosen)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == '{"prediction": []}'


def test_invoke_client_refuses_what_the_endpoint_does_not_accept(emulator: tuple[Emulator, EmulatorEndpoint]) -> None:
    json_to_detector = run_tool("tools.invoke", "dev", "--endpoint", "ObjectDetector", "--payload", "-", stdin=b"{}")
    assert json_to_detector.returncode == 2
    assert (
        "accepts application/x-image, image/jpeg, image/png, not application/json" in json_to_detector.stderr.decode()
    )
    no_choice = run_tool("tools.invoke", "dev", "--payload", "-", stdin=b"{}")
    assert "--endpoint: expected one of ImageClassifier, ObjectDetector, got None" in no_choice.stderr.decode()
    too_big = run_tool("tools.invoke", "prod", *as_account("prod"), "--payload", "-", stdin=b"x" * (7 * 1024 * 1024))
    assert too_big.returncode == 2
    assert "7340032 bytes is more than SageMaker real-time inference accepts" in too_big.stderr.decode()


def test_plain_cli_diff_with_only_the_exports_finds_every_stack_unchanged_in_its_account(
    emulator: tuple[Emulator, EmulatorEndpoint],
) -> None:
    _, endpoint = emulator
    result = plain_cli(endpoint, "diff")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "not been bootstrapped" not in output
    assert "Number of stacks with differences: 0" in output


def test_invoke_client_explains_each_failure(emulator: tuple[Emulator, EmulatorEndpoint], tmp_path: Any) -> None:
    unknown = run_tool("tools.invoke", "qa", "--payload", "-", stdin=b"{}")
    assert unknown.returncode == 2
    assert "error: env: unknown environment 'qa'; expected one of dev, staging, prod" in unknown.stderr.decode()
    missing = run_tool("tools.invoke", "dev", "--payload", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "--payload: cannot read" in missing.stderr.decode()
    empty = run_tool("tools.invoke", "dev", "--payload", "-", stdin=b"")
    assert "is empty" in empty.stderr.decode()


def test_a_second_deploy_on_the_same_emulator_is_an_update_with_nothing_to_change(
    emulator: tuple[Emulator, EmulatorEndpoint],
) -> None:
    _, endpoint = emulator
    result = run_tool("tools.deploy", "deploy", "--emulator-url", endpoint.url, "--env", "dev")
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 0, output[-4000:]
    assert "(no changes)" in output
    assert output.count("InService") == 2


def test_destroy_leaves_no_endpoint_config_model_or_stack(emulator: tuple[Emulator, EmulatorEndpoint]) -> None:
    _, endpoint = emulator
    result = run_tool("tools.deploy", "destroy", "--emulator-url", endpoint.url)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    for env in ENVIRONMENTS:
        assert sagemaker_resources(env) == []
        stacks = session(env).client("cloudformation").list_stacks()["StackSummaries"]
        alive = [s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]
        assert alive == ["CDKToolkit"]


def test_invoke_client_reports_a_stack_that_is_not_deployed(emulator: tuple[Emulator, EmulatorEndpoint]) -> None:
    result = run_tool("tools.invoke", "prod", *as_account("prod"), "--payload", "-", stdin=b"{}")
    assert result.returncode == 2
    assert "stack SageMakerEI-prod is not deployed in us-east-1" in result.stderr.decode()


def plain_cli(endpoint: EmulatorEndpoint, *args: str) -> subprocess.CompletedProcess[str]:
    """`npx cdk ...` as a user runs it after `make deploy KEEP=1`: its exports and the system PATH only."""
    env = {"HOME": os.environ.get("HOME", "/root"), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    env |= endpoint.client_environment()
    command = [str(ROOT / "node_modules" / ".bin" / "cdk"), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def endpoint_configs(env: str) -> dict[str, str]:
    """endpoint name -> the endpoint config it serves."""
    client = session(env).client("sagemaker")
    return {
        name: client.describe_endpoint(EndpointName=name)["EndpointConfigName"]
        for name in (e["EndpointName"] for e in client.list_endpoints()["Endpoints"])
    }


def test_day_two_plain_cli_update_moves_dev_to_its_successor(emulator: tuple[Emulator, EmulatorEndpoint]) -> None:
    _, endpoint = emulator
    first = run_tool("tools.deploy", "deploy", "--emulator-url", endpoint.url, "--env", "dev")
    assert first.returncode == 0, (first.stdout.decode() + first.stderr.decode())[-4000:]
    client = session("dev").client("sagemaker")
    before = endpoint_configs("dev")
    old_models = {m["ModelName"] for m in client.list_models()["Models"]}
    assert len(before) == 2

    # the CLI's defaults: change sets, previous parameter values
    update = plain_cli(
        endpoint, "deploy", "SageMakerEI-dev", "-c", "accelerator_mode=successor", "--require-approval", "never"
    )
    assert update.returncode == 0, update.stderr[-4000:]
    assert "UPDATE_COMPLETE" in update.stderr + update.stdout

    after = endpoint_configs("dev")
    assert set(after) == set(before)  # the same endpoints, updated in place
    for name, config_name in after.items():
        assert config_name != before[name]
        assert client.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
        (variant,) = client.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
        assert (variant["InstanceType"], "AcceleratorType" in variant) == ("ml.g4dn.xlarge", False)
    remaining = {c["EndpointConfigName"] for c in client.list_endpoint_configs()["EndpointConfigs"]}
    assert remaining == set(after.values())  # the old configs are deleted
    # both models changed, so both are replaced (and the old ones deleted): the classifier's image moves
    # to the GPU build, and the built-in object detector, which keeps its image, now runs network-isolated
    # (off with EI, on where AWS supports it: docs/aws-contract.md, rule 3)
    models = {m["ModelName"] for m in client.list_models()["Models"]}
    assert [m for m in models - old_models if "ImageClassifier" in m] != []
    assert [m for m in models - old_models if "ObjectDetector" in m] != []
    assert models.isdisjoint(old_models)
    assert len(models) == 2
    assert {k: v for k, v in outputs("dev").items() if k.endswith("EndpointName")} == {
        "ImageClassifierEndpointName": next(n for n in after if "ImageClassifier" in n),
        "ObjectDetectorEndpointName": next(n for n in after if "ObjectDetector" in n),
    }

    destroy = plain_cli(endpoint, "destroy", "SageMakerEI-dev", "--force")
    assert destroy.returncode == 0, destroy.stderr[-4000:]
    assert sagemaker_resources("dev") == []


STAGING_DAY2_APP = f"{sys.executable} tests/apps/staging_day2.py"


def staging_endpoint() -> tuple[str, dict[str, Any], dict[str, Any]]:
    """staging's endpoint name, its (only) variant as described, and that variant in the config it serves."""
    client = session("staging").client("sagemaker")
    name = outputs("staging")["ImageClassifierEndpointName"]
    described = client.describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "InService"
    (variant,) = described["ProductionVariants"]
    (configured,) = client.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])[
        "ProductionVariants"
    ]
    return described["EndpointConfigName"], variant, configured


def staging_state() -> tuple[set[str], set[str], list[tuple[str, int, int]]]:
    """staging's endpoint configs, models, and scalable targets (resource id, min, max)."""
    client = session("staging").client("sagemaker")
    scaling = session("staging").client("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    return (
        {c["EndpointConfigName"] for c in client.list_endpoint_configs()["EndpointConfigs"]},
        {m["ModelName"] for m in client.list_models()["Models"]},
        [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets],
    )


def deploy_staging_variant(endpoint: EmulatorEndpoint, *context: str) -> subprocess.CompletedProcess[str]:
    """`npx cdk deploy SageMakerEI-staging` of the day-2 app variant, with the CLI's defaults (change sets)."""
    options = [arg for c in context for arg in ("-c", c)]
    return plain_cli(
        endpoint, "deploy", "SageMakerEI-staging", "--app", STAGING_DAY2_APP, *options, "--require-approval", "never"
    )


def test_day_two_on_autoscaled_staging_retains_capacity_rolls_back_what_aws_refuses_and_follows_the_documented_path(
    emulator: tuple[Emulator, EmulatorEndpoint],
) -> None:
    _, endpoint = emulator
    first = run_tool("tools.deploy", "deploy", "--emulator-url", endpoint.url, "--env", "staging")
    assert first.returncode == 0, (first.stdout.decode() + first.stderr.decode())[-4000:]
    first_config, _, _ = staging_endpoint()
    name = outputs("staging")["ImageClassifierEndpointName"]
    # auto scaling moves the variant from its initial 2 instances to 3
    session("staging").client("sagemaker").update_endpoint_weights_and_capacities(
        EndpointName=name,
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 3, "DesiredWeight": 1.0}],
    )

    # 1. a larger accelerator: a new endpoint config; the endpoint moves to it and keeps its 3 instances
    bigger = deploy_staging_variant(endpoint, "accelerator=ml.eia2.large")
    assert bigger.returncode == 0, bigger.stderr[-4000:]
    config, variant, configured = staging_endpoint()
    assert config != first_config
    assert (configured["InstanceType"], configured["AcceleratorType"]) == ("ml.c5.xlarge", "ml.eia2.large")
    assert (configured["InitialInstanceCount"], variant["CurrentInstanceCount"]) == (2, 3)  # retained
    configs, models, targets = staging_state()
    assert configs == {config}  # the old config is gone
    assert targets == [(f"endpoint/{name}/variant/AllTraffic", 1, 4)]

    # 2. successor mode straight away changes the instance type of an autoscaled variant: SageMaker
    # refuses it, and CloudFormation rolls the update back
    refused = deploy_staging_variant(endpoint, "accelerator=ml.eia2.large", "accelerator_mode=successor")
    assert refused.returncode != 0
    assert "UPDATE_ROLLBACK_COMPLETE" in refused.stdout + refused.stderr
    assert "registered for auto scaling" in refused.stdout + refused.stderr
    (stack,) = session("staging").client("cloudformation").describe_stacks(StackName="SageMakerEI-staging")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert staging_endpoint()[0] == config  # back on its previous config
    assert staging_endpoint()[1]["CurrentInstanceCount"] == 3
    assert staging_state() == (configs, models, targets)  # the previous config and model kept, nothing new left

    # 3. the documented path (tools/update_rules.py): autoscaling off, then successor, then autoscaling back
    for step in ("autoscaling=off", "autoscaling=off accelerator_mode=successor", "accelerator_mode=successor"):
        result = deploy_staging_variant(endpoint, *step.split())
        assert result.returncode == 0, f"{step}: {result.stderr[-4000:]}"
        if step == "autoscaling=off":
            assert staging_state()[2] == []  # deregistered
    config, variant, configured = staging_endpoint()
    assert (configured["InstanceType"], "AcceleratorType" in configured) == ("ml.g4dn.xlarge", False)
    assert staging_state()[0] == {config}
    assert staging_state()[2] == [(f"endpoint/{name}/variant/AllTraffic", 1, 4)]

    destroy = plain_cli(endpoint, "destroy", "SageMakerEI-staging", "--app", STAGING_DAY2_APP, "--force")
    assert destroy.returncode == 0, destroy.stderr[-4000:]
    assert sagemaker_resources("staging") == []
    assert staging_state()[2] == []
    alarms = session("staging").client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert alarms == []


def test_the_emulator_is_gone_after_stop(emulator: tuple[Emulator, EmulatorEndpoint]) -> None:
    server, endpoint = emulator
    server.stop()
    assert server.process is not None
    assert server.process.poll() is not None
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
        pass
    assert not endpoint.answers()


def test_a_failed_deploy_with_keep_leaves_no_emulator_behind() -> None:
    result = run_tool("tools.deploy", "deploy", "--keep", "--env", "qa")
    output = result.stdout.decode()
    assert result.returncode == 1
    assert "env: unknown environment 'qa'" in result.stdout.decode() + result.stderr.decode()
    url = next(line.split()[1] for line in output.splitlines() if line.startswith("emulator: "))
    assert "emulator stopped" in output
    assert not (ROOT / ".emulator.json").exists()
    assert not EmulatorEndpoint(url).answers()
