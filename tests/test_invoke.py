"""The invoke client without an emulator: what it refuses before sending, and that it needs no jsii."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stacks.environments import ENVIRONMENTS
from tests.conftest import ROOT
from tools.invoke import MAX_BODY_BYTES, REGIONS, InvokeError, check_payload, invoke, sniff_content_type

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG = (ROOT / "examples" / "smoke-image.png").read_bytes()


def test_regions_are_the_configured_ones() -> None:
    assert {name: env.region for name, env in ENVIRONMENTS.items()} == REGIONS


def test_reading_the_client_starts_no_jsii() -> None:
    probe = "import sys, tools.invoke; print(sorted(m for m in ('jsii', 'aws_cdk', 'stacks') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("payload", "expected"), [(JPEG, "image/jpeg"), (PNG, "image/png"), (b"{}", "application/json")]
)
def test_content_type_defaults_to_what_the_payload_is(payload: bytes, expected: str) -> None:
    assert sniff_content_type(payload) == expected


def test_a_body_over_sagemakers_real_time_limit_is_refused_before_sending() -> None:
    assert MAX_BODY_BYTES == 6291456  # InvokeEndpoint Body: maximum length 6291456 (API reference, botocore)
    check_payload(b"x" * MAX_BODY_BYTES, "application/json")
    with pytest.raises(InvokeError, match="6291457 bytes is more than SageMaker real-time inference accepts"):
        # no session: it fails before looking anything up
        invoke("dev", b"x" * (MAX_BODY_BYTES + 1), "application/json", session=object())


def test_an_image_sent_as_json_is_refused() -> None:
    with pytest.raises(
        InvokeError, match=r"the payload is an image \(image/png\), but the content type is application/json"
    ):
        check_payload(PNG, "application/json")
    check_payload(PNG, "application/x-image")
