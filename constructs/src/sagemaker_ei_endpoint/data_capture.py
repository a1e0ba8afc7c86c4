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


# Lifecycle of the created capture bucket (Amazon S3 user guide, "Lifecycle configuration elements",
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html): in a versioned
# bucket, Expiration makes the current version noncurrent and NoncurrentVersionExpiration then
# deletes it for good; AbortIncompleteMultipartUpload frees the parts of uploads that never finished.
DEFAULT_EXPIRATION = cdk.Duration.days(365)
NONCURRENT_DAYS = 30
ABORT_INCOMPLETE_UPLOAD_DAYS = 7


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
    :param expiration: how long a created bucket keeps each captured file, a whole number of days.
        Default: 365 days. A file past it becomes a noncurrent version, deleted
        ``NONCURRENT_DAYS`` later (so a mistaken delete can be undone meanwhile).
    """

    sampling_percentage: int = 100
    capture_modes: Sequence[CaptureMode] = (CaptureMode.INPUT, CaptureMode.OUTPUT)
    bucket: s3.IBucket | None = None
    prefix: str = "data-capture"
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    access_logs_bucket: s3.IBucket | None = None
    expiration: cdk.Duration = DEFAULT_EXPIRATION

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
        if not self.expiration.is_unresolved():
            days = self.expiration.to_days(integral=False)
            if days < 1 or days != int(days):
                problems.append(
                    "data_capture.expiration: expected a whole number of days of at least 1, "
                    f"got {self.expiration.to_human_string()!r}"
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
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireCapturedData",
                    expiration=self.expiration,
                    noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_DAYS),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(ABORT_INCOMPLETE_UPLOAD_DAYS),
                )
            ],
        )
        # The TLS-only bucket policy shares the bucket's fate: a retained bucket keeps refusing
        # plain-HTTP requests after `cdk destroy` (CloudFormation "DeletionPolicy attribute",
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
        assert bucket.policy is not None  # enforce_ssl=True creates it
        bucket.policy.apply_removal_policy(self.removal_policy)
        acknowledge_capture_bucket(bucket, access_logs=self.access_logs_bucket is not None)
        return bucket
