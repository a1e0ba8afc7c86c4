"""End to end for the successor families: `make deploy MODE=successor FAMILY=<family> ENV=dev` into a local
emulator started here, checked through boto3. The families deploy one after the other into one emulator,
so each after the first is also an update of dev from another family (dev is not autoscaled, so AWS
allows the instance-type change). One environment (dev): the families differ only in the
endpoint config, which the main e2e tests (tests/test_e2e.py) already follow through every tool.

inferentia2 is not deployed here: the shipped environments have no Neuron-compiled model, so it does not
synthesize (tests/test_successor_families.py shows the refusal, and the template with a NeuronModel).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest

from tests.conftest import ROOT
from tools.emulator import Emulator, EmulatorEndpoint

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorEndpoint]:
    server = Emulator(log_path=tmp_path_factory.mktemp("emulator") / "moto.log")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("family", "instance_type", "image"),
    [
        ("cpu", "ml.m6i.large", "2.3.0-cpu"),
        ("gpu-g5", "ml.g5.xlarge", "2.3.0-gpu"),
        ("gpu-g6", "ml.g6.xlarge", "2.3.0-gpu"),
    ],
)
def test_a_successor_family_deploys_verifies_and_lands_on_its_instances(
    emulator: EmulatorEndpoint, family: str, instance_type: str, image: str
) -> None:
    command = ["deploy", "--emulator-url", emulator.url, "--env", "dev", "--mode", "successor", "--family", family]
    result = subprocess.run(
        [sys.executable, "-m", "tools.deploy", *command], cwd=ROOT, capture_output=True, timeout=900, check=False
    )
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 0, output[-4000:]
    assert output.count("InService") == 2  # dev's two endpoints, verified by tools/verify.py

    environment = emulator.client_environment()
    client = boto3.client(
        "sagemaker",
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        region_name=environment["AWS_REGION"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )
    endpoints = client.list_endpoints()["Endpoints"]
    assert len(endpoints) == 2
    for summary in endpoints:
        described = client.describe_endpoint(EndpointName=summary["EndpointName"])
        config = client.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
        (variant,) = config["ProductionVariants"]
        assert (variant["InstanceType"], "AcceleratorType" in variant) == (instance_type, False)
    images = [
        client.describe_model(ModelName=m["ModelName"])["PrimaryContainer"]["Image"]
        for m in client.list_models()["Models"]
    ]
    assert any(uri.endswith(f"tensorflow-inference:{image}") for uri in images)
