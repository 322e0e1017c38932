"""The errors the evaluation package raises.

```
EvalError                      base: anything that stops an evaluation run
 ├── FormatError (ValueError)  a row of an input file is malformed; names path:line and the field
 └── ContractError             the system under test broke its contract (e.g. wrong number of scores)
```

Answers that are wrong, abstentions and invalid citations are not errors: they are measured.
"""

from __future__ import annotations

__all__ = ["ContractError", "EvalError", "FormatError"]


class EvalError(Exception):
    """Base class of every error raised by the ``eval`` package."""


class FormatError(EvalError, ValueError):
    """An input file is not in the expected JSONL format; the message names ``path:line`` and the field."""


class ContractError(EvalError):
    """The assistant or scorer under evaluation returned something its contract rules out."""
