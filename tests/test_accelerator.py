from __future__ import annotations

import aws_cdk as cdk
import pytest

from sagemaker_ei_endpoint import AcceleratorType

ALL_SIZES = ["ml.eia1.medium", "ml.eia1.large", "ml.eia1.xlarge", "ml.eia2.medium", "ml.eia2.large", "ml.eia2.xlarge"]


def test_all_six_ei_sizes_are_named_constants() -> None:
    constants = [
        AcceleratorType.EIA1_MEDIUM,
        AcceleratorType.EIA1_LARGE,
        AcceleratorType.EIA1_XLARGE,
        AcceleratorType.EIA2_MEDIUM,
        AcceleratorType.EIA2_LARGE,
        AcceleratorType.EIA2_XLARGE,
    ]
    assert [c.name for c in constants] == ALL_SIZES
    assert list(AcceleratorType.all()) == constants


@pytest.mark.parametrize("name", ALL_SIZES)
def test_of_accepts_every_ei_size(name: str) -> None:
    assert AcceleratorType.of(name).name == name


@pytest.mark.parametrize("name", ["ml.eia3.medium", "ml.g4dn.xlarge", "eia2.medium", ""])
def test_unknown_accelerator_is_rejected_with_the_value(name: str) -> None:
    with pytest.raises(ValueError, match=r"accelerator_type: unknown Elastic Inference accelerator") as error:
        AcceleratorType.of(name)
    assert repr(name) in str(error.value)


def test_unresolved_token_is_not_judged() -> None:
    token = cdk.Fn.ref("AcceleratorParameter")
    assert AcceleratorType.of(token).memory_gib is None


def test_memory_follows_the_ei_product_sizes() -> None:
    assert [a.memory_gib for a in AcceleratorType.all()] == [1, 2, 4, 2, 4, 8]
