"""``python -m fastlstm``: the same command line as ``fastlstm``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
