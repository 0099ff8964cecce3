"""`python -m b24sandbox.exchange_node`: run one exchange against a site."""

import sys

from b24sandbox.exchange_node.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
