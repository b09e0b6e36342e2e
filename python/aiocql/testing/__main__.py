"""``python -m aiocql.testing``: see :mod:`aiocql.testing.cli`."""

import sys

from .cli import main

sys.exit(main())
