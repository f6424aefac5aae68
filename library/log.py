"""Log output that cannot carry patron data."""

import logging
import traceback
from types import TracebackType


class NoDetailFormatter(logging.Formatter):
    """Format exceptions as frames and type only: their messages may quote patron data.

    A database error can quote the card number it tripped on, and a validation
    error the name it rejected; where the error happened is enough to debug it.
    """

    def formatException(
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        kind, _, trace = ei
        lines = ["Traceback (most recent call last):"]
        lines += [
            f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
            for frame in traceback.extract_tb(trace)
        ]
        name = f"{kind.__module__}.{kind.__qualname__}" if kind else "Exception"
        lines.append(f"{name} (message withheld from the log: it may name a patron)")
        return "\n".join(lines)
