"""``python -m eval TASK FILE ...``: the ``newsqa eval`` subcommand on its own."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from eval.cli import add_eval_parser, run_eval


def build_parser() -> argparse.ArgumentParser:
    """A parser holding only the ``eval`` subcommand, invoked without typing ``eval``."""
    parser = argparse.ArgumentParser(prog="python -m", description="Evaluate the news assistant.")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the command line) as ``eval ...`` arguments and run them."""
    args = build_parser().parse_args(["eval", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run_eval(args)


if __name__ == "__main__":
    sys.exit(main())
