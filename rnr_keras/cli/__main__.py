"""`python -m rnr_keras.cli`: the `rnr-keras` command line."""

import sys

from rnr_keras.cli import main

if __name__ == "__main__":
    sys.exit(main())
