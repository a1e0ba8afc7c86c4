"""Send a payload to an environment's endpoint and print the response body.

The endpoint name comes from the environment stack's outputs, so this works against the local
emulator and AWS alike (boto3 reads AWS_ENDPOINT_URL, AWS_PROFILE and the rest as usual).

Usage: python -m tools.invoke ENV [--payload FILE | -] [--content-type TYPE] [--endpoint ID] [--assume-role ARN]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from stacks.environments import ENVIRONMENTS, Environment, UnknownEnvironmentError, select_environments


class InvokeError(Exception):
    """A failure the user can act on; the message says what to do."""


@dataclass(frozen=True)
class Response:
    endpoint_name: str
    variant: str
    content_type: str
    body: bytes


def region_of(environment: Environment, session: Any) -> str:
    region = environment.region or session.region_name
    if not region:
        raise InvokeError(f"{environment.name} has no region in its configuration; set AWS_REGION")
    return str(region)


def find_endpoint_name(environment: Environment, session: Any, endpoint_id: str | None = None) -> str:
    """The deployed endpoint's name, from the ``<EndpointId>EndpointName`` output of its stack."""
    ids = [e.construct_id for e in environment.endpoints]
    chosen = endpoint_id or (ids[0] if len(ids) == 1 else None)
    if chosen not in ids:
        raise InvokeError(f"--endpoint: expected one of {', '.join(ids)}, got {endpoint_id!r}")
    region = region_of(environment, session)
    cloudformation = session.client("cloudformation", region_name=region)
    try:
        (stack,) = cloudformation.describe_stacks(StackName=environment.stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            raise InvokeError(
                f"stack {environment.stack_name} is not deployed in {region}; run `make deploy ENV={environment.name}`"
            ) from None
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    name = outputs.get(f"{chosen}EndpointName")
    if name is None:
        raise InvokeError(f"stack {environment.stack_name} has no output {chosen}EndpointName; is it deployed fully?")
    return str(name)


def invoke(
    env_name: str, payload: bytes, content_type: str, *, endpoint_id: str | None = None, session: Any = None
) -> Response:
    try:
        (environment,) = select_environments(env_name, ENVIRONMENTS)
    except UnknownEnvironmentError as error:
        raise InvokeError(str(error)) from None
    session = session or boto3.session.Session()
    name = find_endpoint_name(environment, session, endpoint_id)
    region = region_of(environment, session)
    status = session.client("sagemaker", region_name=region).describe_endpoint(EndpointName=name)["EndpointStatus"]
    if status != "InService":
        raise InvokeError(f"endpoint {name} is {status}, not InService; wait for it or check `make deploy` output")
    runtime = session.client("sagemaker-runtime", region_name=region)
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
    parser.add_argument("env", help=f"one of {', '.join(ENVIRONMENTS)}")
    parser.add_argument("--payload", default="-", help="a file, or - for standard input (default)")
    parser.add_argument("--content-type", default="application/json")
    parser.add_argument("--endpoint", help="the endpoint's construct id, when the environment has several")
    parser.add_argument("--assume-role", help="a role to assume first, e.g. the stack's SmokeTestRoleArn output")
    args = parser.parse_args(argv)
    try:
        session = assumed_session(args.assume_role) if args.assume_role else None
        response = invoke(
            args.env, read_payload(args.payload), args.content_type, endpoint_id=args.endpoint, session=session
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
