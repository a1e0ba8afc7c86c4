"""Where a model's artifact (model.tar.gz) comes from."""

from __future__ import annotations

import abc
import os
from typing import TYPE_CHECKING

from constructs import Construct

from .binding import Binding, allow
from .errors import EIEndpointPropsError
from .tokens import is_known, read_once

if TYPE_CHECKING:
    from aws_cdk import aws_s3 as s3


def _require_tar_gz(name: str) -> None:
    # SageMaker unpacks ModelDataUrl as a gzip-compressed tarball; anything else fails at deploy.
    if is_known(name) and not name.endswith(".tar.gz"):
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
    statements = [allow(["s3:GetObject"], [_object_arn(bucket, key)])]
    encryption_key = read_once(bucket, "encryption_key")
    if encryption_key is not None:
        statements.append(allow(["kms:Decrypt"], [read_once(encryption_key, "key_arn")]))
    return Binding(url, tuple(statements))


def _object_arn(bucket: s3.IBucket, key: str) -> str:
    """``bucket.arn_for_objects(key)``; for CDK's buckets built here from the ARN read once per bucket,
    as BucketBase builds it (``${bucketArn}/${key}``): the endpoints of a stack often share a bucket."""
    if _is_cdk_bucket(bucket, "arn_for_objects"):
        return f"{read_once(bucket, 'bucket_arn')}/{key}"
    return bucket.arn_for_objects(key)


def _object_url(bucket: s3.IBucket, key: str) -> str:
    """``bucket.s3_url_for_object(key)``; for CDK's buckets built here as BucketBase joins it."""
    if not _is_cdk_bucket(bucket, "s3_url_for_object"):
        return bucket.s3_url_for_object(key)
    url = "s3://"
    for part in (read_once(bucket, "bucket_name"), key):
        url = f"{url.removesuffix('/')}/{part.removeprefix('/')}"
    return url


def _is_cdk_bucket(bucket: s3.IBucket, method: str) -> bool:
    """A bucket whose ``method`` is BucketBase's own (not overridden in Python)."""
    from aws_cdk import aws_s3 as s3  # already loaded: the caller holds a bucket

    return isinstance(bucket, s3.BucketBase) and getattr(type(bucket), method) is getattr(s3.BucketBase, method)


class _BucketModelData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str) -> None:
        self.bucket = bucket
        self.key = key

    def bind(self, scope: Construct) -> Binding[str]:
        return _object_read(self.bucket, self.key, _object_url(self.bucket, self.key))


class _AssetModelData(ModelData):
    def __init__(self, path: str) -> None:
        self.path = path

    def bind(self, scope: Construct) -> Binding[str]:
        from aws_cdk import aws_s3_assets as s3_assets  # loaded only when an artifact is uploaded

        asset = s3_assets.Asset(scope, "ModelDataAsset", path=self.path)
        return _object_read(asset.bucket, asset.s3_object_key, asset.s3_object_url)
