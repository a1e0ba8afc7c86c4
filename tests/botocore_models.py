"""One cache of botocore's service models per test process, shared by every botocore session.

moto's ``mock_aws`` replaces boto3's default session on every start (``reset_boto3_session``), and
each new session gets a new ``botocore.loaders.Loader`` whose cache is empty, so every client a moto
test creates parses SageMaker's, CloudFormation's and the other services' JSON models again: about
15 s of the 25 s `tests/test_moto_patches.py` took (cProfile: 159 ``boto3.client`` calls, 9 s in
``json.loads`` alone). Loaders with the same search paths read the same files, so they may share one
cache; botocore already hands out one cached object to every caller of a loader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore import loaders

_CACHES: dict[tuple[str, ...], dict[Any, Any]] = {}


def share_loader_caches() -> Callable[[], None]:
    """Make every Loader created from now on share its cache with the loaders of the same search
    paths; returns the undo."""
    original_init = loaders.Loader.__init__

    def init(self: loaders.Loader, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._cache = _CACHES.setdefault(tuple(self.search_paths), {})

    loaders.Loader.__init__ = init

    def undo() -> None:
        loaders.Loader.__init__ = original_init
        _CACHES.clear()

    return undo
