"""The ``xietong`` console script: Django's management with the project's settings."""

from __future__ import annotations

import os
import sys

ALIASES = {"bench-data": "bench_data"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    # Commands are spelled with a hyphen on the command line (`xietong bench-data`).
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
