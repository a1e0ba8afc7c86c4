"""The construct ships as its own distribution without shadowing the `constructs` library."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import constructs

import sagemaker_ei_endpoint

ROOT = Path(__file__).resolve().parent.parent


def test_import_constructs_is_still_the_real_library() -> None:
    assert hasattr(constructs, "Construct")
    assert importlib.metadata.version("constructs") == "10.8.1"
    site_packages = Path(str(importlib.metadata.distribution("constructs").locate_file(""))).resolve()
    assert Path(constructs.__file__ or "").resolve().is_relative_to(site_packages)
    assert not (ROOT / "constructs" / "__init__.py").exists()


def test_the_construct_imports_from_its_installed_distribution() -> None:
    assert importlib.metadata.version("sagemaker-ei-endpoint") == "0.1.0"
    assert Path(sagemaker_ei_endpoint.__file__).resolve().is_relative_to(ROOT / "constructs" / "src")
    assert issubclass(sagemaker_ei_endpoint.EIEndpoint, constructs.Construct)


def test_the_image_catalog_ships_inside_the_package() -> None:
    package_dir = Path(sagemaker_ei_endpoint.__file__).parent
    assert (package_dir / "data" / "image_catalog.json").is_file()
