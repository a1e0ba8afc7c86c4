"""The one error type every invalid prop raises, from the construct and from its value objects."""

from __future__ import annotations

from collections.abc import Sequence


class EIEndpointPropsError(ValueError):
    """Raised when an EIEndpoint's props are invalid; the message lists every problem, one a line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid EIEndpoint props:\n  " + "\n  ".join(self.problems))
