"""Where a model's artifact (model.tar.gz) comes from."""

from __future__ import annotations

import abc
import os

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from .binding import Binding
from .errors import EIEndpointPropsError


def _require_tar_gz(name: str) -> None:
    # SageMaker unpacks ModelDataUrl as a gzip-compressed tarball; anything else fails at deploy.
    if not cdk.Token.is_unresolved(name) and not name.endswith(".tar.gz"):
        raise EIEndpointPropsError([f"model_data: expected a .tar.gz file, got {name!r}"])


class ModelData(abc.ABC):
    """The model artifact of an ``EIEndpoint``."""

    @staticmethod
    def from_bucket(bucket: s3.IBucket, key: str) -> ModelData:
        """An artifact already in S3; the execution role may read that one object."""
        _require_tar_gz(key)
        return _BucketModelData(bucket, key)

    @staticmethod
    def from_asset(path: str) -> ModelData:
        """A local ``.tar.gz`` uploaded by ``cdk deploy`` as a file asset."""
        _require_tar_gz(path)
        if not os.path.isfile(path):
            raise EIEndpointPropsError([f"model_data: no such file {path!r}"])
        return _AssetModelData(path)

    @abc.abstractmethod
    def bind(self, scope: Construct) -> Binding[str]:
        """Create what the artifact needs in ``scope``; its S3 URL and what the role must be allowed."""


def _object_read(bucket: s3.IBucket, key: str, url: str) -> Binding[str]:
    # Only s3:GetObject on the one key: Bucket.grant_read would add List and GetBucket actions.
    statements = [iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(key)])]
    if bucket.encryption_key is not None:
        statements.append(iam.PolicyStatement(actions=["kms:Decrypt"], resources=[bucket.encryption_key.key_arn]))
    return Binding(url, tuple(statements))


class _BucketModelData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str) -> None:
        self.bucket = bucket
        self.key = key

    def bind(self, scope: Construct) -> Binding[str]:
        return _object_read(self.bucket, self.key, self.bucket.s3_url_for_object(self.key))


class _AssetModelData(ModelData):
    def __init__(self, path: str) -> None:
        self.path = path

    def bind(self, scope: Construct) -> Binding[str]:
        asset = s3_assets.Asset(scope, "ModelDataAsset", path=self.path)
        return _object_read(asset.bucket, asset.s3_object_key, asset.s3_object_url)
