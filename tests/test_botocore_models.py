"""The test processes share botocore's parsed service models between sessions (tests/botocore_models.py)."""

from __future__ import annotations

import boto3
from botocore import loaders
from moto import mock_aws


def loader_of(session: boto3.Session) -> loaders.Loader:
    loader: loaders.Loader = session._session.get_component("data_loader")
    return loader


def test_each_moto_start_has_a_new_session_whose_loader_shares_the_parsed_models() -> None:
    with mock_aws():
        first = boto3.client("sagemaker", region_name="us-east-1")
        first_loader = loader_of(boto3._get_default_session())
    with mock_aws():
        second = boto3.client("sagemaker", region_name="us-east-1")
        second_loader = loader_of(boto3._get_default_session())
    assert first_loader is not second_loader  # moto replaced the session
    assert first_loader._cache is second_loader._cache
    assert first.meta.service_model.operation_names == second.meta.service_model.operation_names


def test_a_loader_with_other_search_paths_keeps_its_own_cache(tmp_path: object) -> None:
    default = loaders.Loader()
    other = loaders.Loader(extra_search_paths=[str(tmp_path)])
    assert default._cache is loaders.Loader()._cache
    assert other._cache is not default._cache
