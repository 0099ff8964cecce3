"""Command line of the sandbox exchange node:

    python -m b24sandbox.exchange_node --url URL --login LOGIN --password PASSWORD (--files DIR | --demo-catalog N)
        [--chunk BYTES] [--zip] [--version 2.09] [--orders-out DIR] [--orders-back FILE] [--no-sale]

Uploads and imports the catalog files of DIR (or of a made-up catalog of N items: groups, two price types, two
warehouses, sizes as characteristics), then runs the orders round; ends with one line of key=value figures.
Exit code 0 on success, 1 when the site answered `failure` (its reason is printed), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from b24sandbox.exchange_node.files import write_exchange
from b24sandbox.exchange_node.protocol import ExchangeFailure
from b24sandbox.exchange_node.runs import read_exchange_files, run_catalog, run_sale


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m b24sandbox.exchange_node", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the site's exchange address («Адрес сайта» in 1C)")
    p.add_argument("--login", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--files", type=Path, help="directory of the catalog exchange (import.xml, offers.xml, …)")
    p.add_argument("--demo-catalog", type=int, default=0, metavar="N",
                   help="instead of --files: a made-up catalog exchange of N items, every fifth in two sizes")
    p.add_argument("--chunk", type=int, default=0, help="largest chunk to send (bytes; the site's file_limit caps)")
    p.add_argument("--zip", action="store_true", help="send one zip archive when the site answers zip=yes")
    p.add_argument("--version", default="", help="CommerceML version to name at init (empty: the older protocol)")
    p.add_argument("--orders-out", type=Path, help="save the orders XML the site gives in this directory")
    p.add_argument("--orders-back", type=Path, help="the orders document to send back (default: made from the "
                                                     "orders taken)")
    p.add_argument("--no-sale", action="store_true", help="skip the orders round")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for an import to finish")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.demo_catalog > 0:
        with tempfile.TemporaryDirectory(prefix="exchange-node-") as folder:
            write_exchange(Path(folder), range(1, args.demo_catalog + 1), variants_every=5)
            args.files = Path(folder)
            return _run(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    if args.files is None and args.no_sale:
        print("nothing to do: give --files or drop --no-sale", file=sys.stderr)
        return 2
    started = time.monotonic()
    figures: dict[str, object] = {}
    try:
        if args.files is not None:
            files = read_exchange_files(args.files)
            catalog = run_catalog(args.url, args.login, args.password, files, chunk=args.chunk or None,
                                  use_zip=args.zip, version=args.version, import_timeout=args.timeout)
            figures.update(files=catalog.files, bytes=catalog.bytes, file_calls=catalog.file_calls,
                           import_polls=catalog.import_polls, zipped=int(catalog.zipped),
                           file_limit=catalog.file_limit)
        if not args.no_sale:
            back = args.orders_back.read_bytes() if args.orders_back else None
            sale = run_sale(args.url, args.login, args.password, version=args.version or "2.09",
                            orders_back=back, orders_out=args.orders_out)
            figures.update(orders=sale.orders, sent_back=sale.sent_back)
    except ExchangeFailure as exc:
        print(f"failure in {exc.mode}: {exc.reason}", file=sys.stderr)
        figures.update(ok=0, failed_mode=exc.mode)
        print(" ".join(f"{k}={v}" for k, v in figures.items()))
        return 1
    figures.update(ok=1, seconds=round(time.monotonic() - started, 2))
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    return 0
