"""The CommerceML exchange endpoint under an upload: the sandbox 1C exchange node sends a catalog exchange the way
1C does (checkauth, init, chunks of file_limit, or one zip archive) to the app served on loopback.

    python bench/exchange_upload.py [--megabytes 200] [--file-limit 8388608] [--fast]

A synthetic exchange of `--megabytes` (an import.xml of products and an offers.xml, CommerceML-shaped text) is
uploaded twice: as files in chunks, then zipped. Printed: the upload rate (MB/s of 1C's bytes), the chunk calls,
the mean time of one chunk call, that every file arrived byte for byte, and the peak traced memory during the plain
upload (tracemalloc of this process, which runs both the node and the app: the node holds one chunk at a time, and
the app streams each chunk to disk in 64 KB blocks, so the peak follows file_limit, not the exchange's size).
The import step is not measured here (bench/commerceml_import.py measures it).

The last line holds the figures as key=value. `--fast`: 20 MB, file_limit 1 MB.
Redis: `B24APP_BENCH_REDIS` (default redis://127.0.0.1:6379/1); a fresh key prefix, SQLite in a temp directory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from b24app.store.exchange_nodes import ExchangeNodes  # noqa: E402
from b24app.web.exchange import exchange_url  # noqa: E402
from b24sandbox.exchange_node.protocol import NodeSession, zip_files  # noqa: E402
from bench._stand import AppStand, print_figures  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--megabytes", type=int, default=200)
    p.add_argument("--file-limit", type=int, default=8 * 1024 * 1024)
    p.add_argument("--fast", action="store_true", help="20 MB, file_limit 1 MB")
    options = p.parse_args(argv)
    if options.fast:
        options.megabytes, options.file_limit = 20, 1024 * 1024
    return options


def synthetic_exchange(megabytes: int) -> dict[str, bytes]:
    """import.xml and offers.xml of about `megabytes` together, shaped like 1C's (a product per Товар)."""
    target = megabytes * 1024 * 1024
    products, offers = [], []
    size, n = 0, 0
    while size < target:
        n += 1
        ident = uuid.UUID(int=n).hex
        product = (f"<Товар><Ид>{ident}</Ид><Артикул>A-{n:07d}</Артикул><Наименование>Товар номер {n} "
                   f"(синтетический)</Наименование><БазоваяЕдиница Код=\"796\">шт</БазоваяЕдиница></Товар>\n")
        offer = (f"<Предложение><Ид>{ident}</Ид><Наименование>Товар номер {n}</Наименование><Цены><Цена>"
                 f"<ЦенаЗаЕдиницу>{n % 9000 + 100}.00</ЦенаЗаЕдиницу><Валюта>RUB</Валюта></Цена></Цены>"
                 f"<Количество>{n % 50}</Количество></Предложение>\n")
        products.append(product)
        offers.append(offer)
        size += len(product.encode()) + len(offer.encode())
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация ВерсияСхемы="2.09">'
    return {"import.xml": (head + "<Каталог><Товары>\n" + "".join(products)
                           + "</Товары></Каталог></КоммерческаяИнформация>\n").encode(),
            "offers.xml": (head + "<ПакетПредложений><Предложения>\n" + "".join(offers)
                           + "</Предложения></ПакетПредложений></КоммерческаяИнформация>\n").encode()}


class Stand(AppStand):
    """A sandbox portal; the app installed and served on loopback; one exchange node."""

    def __init__(self, tmp: str, file_limit: int, max_bytes: int) -> None:
        super().__init__(tmp, "exchange", portal_args=["--deals", "5"], settings={
            "exchange_dir": f"{tmp}/exchange", "exchange_file_limit": file_limit, "exchange_max_bytes": max_bytes})
        self.nodes = ExchangeNodes(self.ctx.db, self.ctx.box)
        creds = self.nodes.create(self.member, name="Обмен с сайтом (bench)")
        self.node = self.nodes.by_token(creds.token)
        self.url = exchange_url(self.ctx.settings.public_url, creds.token)
        self.login, self.password = creds.login, creds.password

    def upload(self, files: dict[str, bytes], *, zipped: bool) -> tuple[float, int, Path, dict[str, bytes]]:
        """Seconds, chunk calls, the exchange directory and what was sent to it."""
        session = NodeSession(self.url, self.login, self.password, timeout=120)
        started = time.monotonic()
        session.checkauth("catalog")
        limit = session.init("catalog").file_limit
        sent = {"catalog.zip": zip_files(files)} if zipped else files
        calls = sum(session.send_file("catalog", name, data, limit) for name, data in sent.items())
        seconds = time.monotonic() - started
        run_dir = max((p for p in (self.ctx.settings.exchange_root / str(self.node.id)).iterdir()),
                      key=lambda p: p.stat().st_mtime)
        session.close()
        return seconds, calls, run_dir, sent


def byte_exact(run_dir: Path, sent: dict[str, bytes]) -> bool:
    return all((run_dir / name).read_bytes() == data for name, data in sent.items())


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    files = synthetic_exchange(options.megabytes)
    total = sum(len(d) for d in files.values())
    with tempfile.TemporaryDirectory() as tmp:
        stand = Stand(tmp, options.file_limit, max_bytes=4 * total + (64 << 20))
        try:
            tracemalloc.start()
            seconds, calls, run_dir, sent = stand.upload(files, zipped=False)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            exact = byte_exact(run_dir, sent)
            zip_seconds, zip_calls, zip_dir, zip_sent = stand.upload(files, zipped=True)
            zip_exact = byte_exact(zip_dir, zip_sent)
        finally:
            stand.stop()
    mb = total / (1024 * 1024)
    print(f"plain upload: {mb:.1f} MB in {calls} chunk calls, {seconds:.2f} s; zipped: {zip_calls} calls, "
          f"{zip_seconds:.2f} s")
    print_figures({"megabytes": f"{mb:.1f}", "file_limit": options.file_limit, "chunk_calls": calls,
                   "upload_mb_per_s": f"{mb / seconds:.1f}", "ms_per_chunk": f"{1000 * seconds / max(calls, 1):.1f}",
                   "zip_chunk_calls": zip_calls, "zip_seconds": f"{zip_seconds:.2f}",
                   "byte_exact": int(exact and zip_exact), "peak_mb": f"{peak / (1024 * 1024):.1f}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
