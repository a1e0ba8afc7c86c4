"""What an extra EIEndpoint costs in jsii requests (round trips from Python to Node.js).

`make bench` measures the time; this holds the count, which is exact and needs no quiet machine:
every request is a round trip, and the alpha L2 needs 19 for the same endpoint (23 with the
benchmark's two outputs, see docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk import aws_s3 as s3

from sagemaker_ei_endpoint import ModelData
from tests.conftest import EndpointFactory, new_stack

# Per endpoint once the stack's shared values (key, principal, partition, region, account) exist.
REQUESTS_PER_ENDPOINT = 21


@contextlib.contextmanager
def counted_jsii_requests() -> Iterator[list[int]]:
    from jsii._kernel.providers import process

    original = process._NodeProcess.send
    count = [0]

    def send(self: Any, request: Any, response_type: Any) -> Any:
        count[0] += 1
        return original(self, request, response_type)

    process._NodeProcess.send = send  # type: ignore[method-assign]
    try:
        yield count
    finally:
        process._NodeProcess.send = original  # type: ignore[method-assign]


@pytest.mark.parametrize("region", ["us-east-1", None], ids=["environment", "environment-agnostic"])
def test_an_extra_endpoint_costs_at_most_its_share_of_jsii_requests(
    make_endpoint: EndpointFactory, region: str | None
) -> None:
    stack = new_stack(region=region)
    bucket = s3.Bucket.from_bucket_name(stack, "Models", "example-models")

    def endpoint(index: int) -> None:
        make_endpoint(
            stack=stack, construct_id=f"Endpoint{index}", model_data=ModelData.from_bucket(bucket, f"m{index}.tar.gz")
        )

    endpoint(0)  # the first creates what the stack's endpoints share
    with counted_jsii_requests() as count:
        for index in range(1, 4):
            endpoint(index)
    assert count[0] / 3 <= REQUESTS_PER_ENDPOINT, count[0] / 3
