"""Send a payload to an environment's endpoint and print the response body.

The endpoint name comes from the environment stack's outputs, so this works against the local
emulator and AWS alike (boto3 reads AWS_ENDPOINT_URL, AWS_PROFILE and the rest as usual). It reads
no CDK code: importing the stacks would start jsii and Node.js just to learn a region.

Usage: python -m tools.invoke ENV [--payload FILE | -] [--content-type TYPE] [--endpoint ID] [--assume-role ARN]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# Each environment's region as stacks/environments.py configures it (None: the CLI's region).
# Not imported from there, because that starts jsii; tests/test_invoke.py keeps the two equal.
REGIONS: Mapping[str, str | None] = {"dev": None, "staging": "us-west-2", "prod": "us-east-1"}
STACK_PREFIX = "SageMakerEI-"
OUTPUT_SUFFIX = "EndpointName"

# SageMaker real-time inference refuses larger bodies: the InvokeEndpoint API reference gives the
# Body a maximum length of 6291456 bytes (6 MB), as botocore's service model does.
MAX_BODY_BYTES = 6 * 1024 * 1024

# What the containers accept, where it is documented: the built-in algorithms' "Common Data Formats
# for Inference" and the TensorFlow Serving container's REST API. Keyed by image repository.
IMAGE_TYPES = ("application/x-image", "image/jpeg", "image/png")
ACCEPTED_CONTENT_TYPES: Mapping[str, frozenset[str]] = {
    "object-detection": frozenset(IMAGE_TYPES),
    "image-classification": frozenset((*IMAGE_TYPES, "application/x-recordio")),
    "tensorflow-inference": frozenset(("application/json", "text/csv", "application/jsonlines")),
    "tensorflow-inference-eia": frozenset(("application/json", "text/csv", "application/jsonlines")),
}


class InvokeError(Exception):
    """A failure the user can act on; the message says what to do."""


@dataclass(frozen=True)
class Response:
    endpoint_name: str
    variant: str
    content_type: str
    body: bytes


def sniff_content_type(payload: bytes) -> str:
    """The content type a payload most likely has: JPEG and PNG by their signatures, else JSON."""
    if payload.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if payload.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "application/json"


def check_payload(payload: bytes, content_type: str) -> None:
    if len(payload) > MAX_BODY_BYTES:
        raise InvokeError(
            f"--payload: {len(payload)} bytes is more than SageMaker real-time inference accepts "
            f"({MAX_BODY_BYTES} bytes, 6 MB); use asynchronous inference or a smaller payload"
        )
    sniffed = sniff_content_type(payload)
    if sniffed in IMAGE_TYPES and content_type not in IMAGE_TYPES:
        raise InvokeError(
            f"--content-type: the payload is an image ({sniffed}), but the content type is {content_type}"
        )


def stack_name(env_name: str) -> str:
    if env_name not in REGIONS:
        raise InvokeError(f"env: unknown environment {env_name!r}; expected one of {', '.join(REGIONS)}")
    return STACK_PREFIX + env_name


def region_for(env_name: str, session: Any, region: str | None = None) -> str:
    found = region or REGIONS.get(env_name) or session.region_name
    if not found:
        raise InvokeError(f"{env_name} has no region in its configuration; set AWS_REGION or pass --region")
    return str(found)


def endpoint_outputs(env_name: str, session: Any, region: str) -> dict[str, str]:
    """endpoint construct id -> deployed endpoint name, from the ``<Id>EndpointName`` outputs of the stack."""
    name = stack_name(env_name)
    cloudformation = session.client("cloudformation", region_name=region)
    try:
        (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            raise InvokeError(f"stack {name} is not deployed in {region}; run `make deploy ENV={env_name}`") from None
        raise
    return {
        o["OutputKey"].removesuffix(OUTPUT_SUFFIX): o["OutputValue"]
        for o in stack.get("Outputs", [])
        if o["OutputKey"].endswith(OUTPUT_SUFFIX)
    }


def find_endpoint_name(env_name: str, session: Any, region: str, endpoint_id: str | None = None) -> str:
    """The deployed endpoint's name; ``endpoint_id`` picks one when the stack has several."""
    endpoints = endpoint_outputs(env_name, session, region)
    if not endpoints:
        raise InvokeError(f"stack {stack_name(env_name)} has no <Id>EndpointName output; is it deployed fully?")
    chosen = endpoint_id or (next(iter(endpoints)) if len(endpoints) == 1 else None)
    if chosen not in endpoints:
        raise InvokeError(f"--endpoint: expected one of {', '.join(sorted(endpoints))}, got {endpoint_id!r}")
    return endpoints[chosen]


def accepted_content_types(sagemaker: Any, endpoint: Mapping[str, Any]) -> frozenset[str] | None:
    """What the endpoint's containers accept, if their images are known here and we may look; else None."""
    try:
        config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        images = {
            sagemaker.describe_model(ModelName=v["ModelName"])["PrimaryContainer"]["Image"]
            for v in config["ProductionVariants"]
        }
    except (ClientError, KeyError):
        return None  # e.g. the smoke-test role may only describe and invoke the endpoint
    accepted = [ACCEPTED_CONTENT_TYPES.get(image.split("/")[-1].split(":")[0]) for image in images]
    if not accepted or any(a is None for a in accepted):
        return None
    return frozenset.intersection(*(a for a in accepted if a is not None))


def invoke(
    env_name: str,
    payload: bytes,
    content_type: str | None = None,
    *,
    endpoint_id: str | None = None,
    session: Any = None,
    region: str | None = None,
) -> Response:
    content_type = content_type or sniff_content_type(payload)
    check_payload(payload, content_type)
    session = session or boto3.session.Session()
    where = region_for(env_name, session, region)
    name = find_endpoint_name(env_name, session, where, endpoint_id)
    sagemaker = session.client("sagemaker", region_name=where)
    endpoint = sagemaker.describe_endpoint(EndpointName=name)
    if endpoint["EndpointStatus"] != "InService":
        raise InvokeError(
            f"endpoint {name} is {endpoint['EndpointStatus']}, not InService; wait for it or check `make deploy` output"
        )
    accepted = accepted_content_types(sagemaker, endpoint)
    if accepted is not None and content_type not in accepted:
        raise InvokeError(f"--content-type: {name} accepts {', '.join(sorted(accepted))}, not {content_type}")
    runtime = session.client("sagemaker-runtime", region_name=where)
    answer = runtime.invoke_endpoint(EndpointName=name, Body=payload, ContentType=content_type)
    return Response(
        endpoint_name=name,
        variant=answer.get("InvokedProductionVariant", ""),
        content_type=answer.get("ContentType", ""),
        body=answer["Body"].read(),
    )


def assumed_session(role_arn: str) -> Any:
    """A session with the credentials of ``role_arn`` (the delivery pipeline's smoke test uses this)."""
    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="smoke-invoke")["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def read_payload(source: str) -> bytes:
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise InvokeError(f"--payload: cannot read {source!r}: {error.strerror}") from None
    if not data:
        raise InvokeError(f"--payload: {source!r} is empty")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.invoke", description=__doc__.splitlines()[0])
    parser.add_argument("env", help=f"one of {', '.join(REGIONS)}")
    parser.add_argument("--payload", default="-", help="a file, or - for standard input (default)")
    parser.add_argument(
        "--content-type",
        help="default: image/jpeg or image/png for those images, else application/json; "
        "application/x-image for the built-in image algorithms",
    )
    parser.add_argument("--endpoint", help="the endpoint's construct id, when the environment has several")
    parser.add_argument("--region", help="default: the environment's region, else AWS_REGION")
    parser.add_argument("--assume-role", help="a role to assume first, e.g. the stack's SmokeTestRoleArn output")
    args = parser.parse_args(argv)
    try:
        session = assumed_session(args.assume_role) if args.assume_role else None
        response = invoke(
            args.env,
            read_payload(args.payload),
            args.content_type,
            endpoint_id=args.endpoint,
            session=session,
            region=args.region,
        )
    except InvokeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (ClientError, BotoCoreError) as error:
        print(f"error: AWS said: {error}", file=sys.stderr)
        return 1
    print(
        f"# {response.endpoint_name} ({response.variant or 'variant not reported'}, {response.content_type})",
        file=sys.stderr,
    )
    sys.stdout.buffer.write(response.body + (b"" if response.body.endswith(b"\n") else b"\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
