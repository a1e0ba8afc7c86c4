"""Capture of requests and responses to S3, for model monitoring and audit."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from .binding import Binding, WildcardGrant
from .compliance import acknowledge_capture_bucket
from .tokens import is_known

CAPTURE_WILDCARD_REASON = (
    "SageMaker names the captured files itself, under the capture prefix; the role may only put objects "
    "there, in that one bucket"
)


class CaptureMode(enum.Enum):
    INPUT = "Input"
    OUTPUT = "Output"


@dataclass(frozen=True)
class CaptureDestination:
    """Where a bound DataCapture writes: the EndpointConfig's DataCaptureConfig and its bucket."""

    config: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty
    bucket: s3.IBucket


@dataclass(frozen=True, kw_only=True)
class DataCapture:
    """Capture a sample of the endpoint's traffic.

    :param sampling_percentage: 1 to 100; default 100.
    :param capture_modes: default requests and responses.
    :param bucket: Default: a bucket is created: KMS-encrypted with the endpoint's key, public
        access blocked, non-TLS requests refused, versioned.
    :param prefix: key prefix of the captured files; default "data-capture".
    :param removal_policy: what ``cdk destroy`` does to a created bucket. Default: RETAIN, captured
        data is never lost by a destroy.
    :param access_logs_bucket: where a created bucket writes S3 server access logs. Default: none.
    """

    sampling_percentage: int = 100
    capture_modes: Sequence[CaptureMode] = (CaptureMode.INPUT, CaptureMode.OUTPUT)
    bucket: s3.IBucket | None = None
    prefix: str = "data-capture"
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    access_logs_bucket: s3.IBucket | None = None

    def problems(self) -> list[str]:
        problems = []
        percentage = self.sampling_percentage
        if is_known(percentage) and not (isinstance(percentage, int) and 1 <= percentage <= 100):
            problems.append(f"data_capture.sampling_percentage: expected an integer from 1 to 100, got {percentage!r}")
        modes = list(self.capture_modes)
        if not modes or len(set(modes)) != len(modes) or not all(isinstance(m, CaptureMode) for m in modes):
            problems.append(f"data_capture.capture_modes: expected Input, Output or both, once each, got {modes!r}")
        if is_known(self.prefix) and (self.prefix.startswith("/") or not self.prefix):
            problems.append(
                f"data_capture.prefix: expected a non-empty key prefix without a leading '/', got {self.prefix!r}"
            )
        return problems

    def bind(self, scope: Construct, key: kms.IKey | None) -> Binding[CaptureDestination]:
        bucket = self.bucket or self._create_bucket(scope, key)
        objects = self.objects_arn(bucket)
        statements = [iam.PolicyStatement(actions=["s3:PutObject"], resources=[objects])]
        # SageMaker writes with the execution role; with SSE-KMS it needs a data key.
        encryption_key = bucket.encryption_key or key
        if encryption_key is not None:
            statements.append(
                iam.PolicyStatement(actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[encryption_key.key_arn])
            )
        config = sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
            enable_capture=True,
            initial_sampling_percentage=self.sampling_percentage,
            destination_s3_uri=bucket.s3_url_for_object(self.prefix),
            kms_key_id=encryption_key.key_arn if encryption_key else None,
            capture_options=[
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=m.value) for m in self.capture_modes
            ],
        )
        return Binding(
            CaptureDestination(config, bucket), tuple(statements), (WildcardGrant(objects, CAPTURE_WILDCARD_REASON),)
        )

    def objects_arn(self, bucket: s3.IBucket) -> str:
        """Where captured files land: SageMaker picks the key names, so the role needs the prefix."""
        return bucket.arn_for_objects(f"{self.prefix}/*")

    def _create_bucket(self, scope: Construct, key: kms.IKey | None) -> s3.Bucket:
        bucket = s3.Bucket(
            scope,
            "CaptureBucket",
            encryption=s3.BucketEncryption.KMS if key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=key,
            bucket_key_enabled=key is not None,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            removal_policy=self.removal_policy,
            server_access_logs_bucket=self.access_logs_bucket,
        )
        acknowledge_capture_bucket(bucket, access_logs=self.access_logs_bucket is not None)
        return bucket
