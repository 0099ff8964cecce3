"""`python -m b24sandbox.onec`: start the sandbox 1C server."""

import sys

from b24sandbox.onec.server import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
