"""`python -m bot` is the `normsbot` command."""

import sys

from bot.cli import main

sys.exit(main())
