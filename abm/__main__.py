"""The ``abm`` command (and ``python -m abm``): loads the command line, then runs it.

Loading takes most of a second (numpy, pydantic and every installed command). A Ctrl-C in that time
ends like any other interrupted command, with one line and exit status 130, not a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from abm.cli import app
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        raise SystemExit(130) from None
    app(prog_name="abm")


if __name__ == "__main__":
    main()
