"""The sandbox HTTP server: one listening socket, several 1C bases at `/<base>/odata/standard.odata/`.

Authentication is HTTP Basic with the login and password encoded as UTF-8 (what 1C's web extension accepts
for Cyrillic logins such as «Администратор»); bad credentials answer 401 with `WWW-Authenticate: Basic`.

Format (17.4.2): `$format=json` (or an `application/json…` MIME type, 17.4.7) answers JSON; `$format=atom` or no
`$format` answers Atom XML, unless the Accept header names application/json. Errors follow the same choice:
JSON `odata.error` or the XML `m:error` of 17.4.10.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import pickle
import random
import sys
import threading
import time
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from b24sandbox.onec import atom, control, facts_config
from b24sandbox.onec.errors import ODataError, unknown_resource, unsupported_format
from b24sandbox.onec.metadata import entity_set_names, render_metadata, render_service_document_atom
from b24sandbox.onec.odata_api import ODataApi, Reply
from b24sandbox.onec.seed import SeedSizes, new_configuration_base
from b24sandbox.onec.store import Base

# Every configuration is built from the facts of a real release and a publication list (facts_config.py,
# facts/publications/*.toml): ut11 = УТ 11.5.27.56, bp30 = БП 3.0.198.19, unf = УНФ 3.0.12.261, …
# Built on first use (facts_config.configuration caches): a server builds only the configurations its bases use,
# which keeps start-up near a second instead of building all of them.
CONFIGURATIONS: tuple[str, ...] = tuple(facts_config.names())
_ODATA_ROOT = "/odata/standard.odata"

_DOWN_PAGE = (
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head><title>503 Service Unavailable</title>"
    "</head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request "
    "due to maintenance downtime or capacity problems. Please try again later.</p></body></html>\n"
)


@dataclass
class Settings:
    """What the command line configures."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 1
    counterparties: int = 300
    settlements: int | None = None
    bases: dict[str, str] = field(default_factory=lambda: {"ut": "ut11", "bp": "bp30"})
    user: str = "Администратор"
    password: str = "secret"
    demo: bool = False  # also seed the demo's story (b24sandbox/demo_scenario.py)
    catalog: int = 0  # items of the large catalog (seed_catalog.py); 0 = the default seed's few


class SandboxApp:
    """The WSGI application holding every base's state."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bases: dict[str, Base] = {}
        # Each base as first seeded, pickled: a reset thaws it instead of seeding again. Seeding is deterministic
        # (same settings, same base), and thawing is some twenty times faster — tests reset before every use.
        self.pristine: dict[str, bytes] = {}
        self.rng = random.Random(settings.seed)
        for name in settings.bases:
            self.bases[name] = self.build(name)

    def build(self, name: str) -> Base:
        if name in self.pristine:
            return _thaw(self.pristine[name])
        config = facts_config.configuration(self.settings.bases[name])
        sizes = SeedSizes(self.settings.counterparties, self.settings.settlements, demo=self.settings.demo,
                          catalog=self.settings.catalog)
        base = new_configuration_base(name, config, self.settings.seed, sizes)
        self.pristine[name] = _freeze(base)
        return base

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except ODataError as exc:
            response = odata_error(exc, error_format(request))
        return response(environ, start_response)

    # -- routing -------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_sandbox/"):
            return self.control(request, path.removeprefix("/_sandbox/").strip("/"))
        name, _, rest = path.lstrip("/").partition("/")
        base = self.bases.get(name)
        if base is None or not ("/" + rest).startswith(_ODATA_ROOT):
            return Response("Not Found", status=404, content_type="text/plain; charset=utf-8")
        with base.lock:
            base.counters.requests += 1
            faults = base.faults
            down, slow = faults.down, faults.slow_ms
        if down:
            return Response(_DOWN_PAGE, status=503, content_type="text/html; charset=iso-8859-1")
        if slow:
            time.sleep(slow / 1000)
        with base.lock:
            if faults.unauthorized or not self.authorized(request):
                return unauthorized()
            if faults.error500_count > 0 or (faults.error500_rate and self.rng.random() < faults.error500_rate):
                faults.error500_count = max(0, faults.error500_count - 1)
                return odata_error(ODataError(
                    500, -1, "Произошла внутренняя ошибка OData сервиса. Дополнительные сведения можно найти "
                             "в технологическом журнале."), error_format(request))
            resource = ("/" + rest)[len(_ODATA_ROOT):].lstrip("/")
            root = f"{request.host_url}{name}{_ODATA_ROOT}/"
            return self.odata(base, request, resource, root)

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            login, _, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return login == self.settings.user and password == self.settings.password

    def odata(self, base: Base, request: Request, resource: str, root: str) -> Response:
        args = {k: v for k, v in request.args.items()}
        if resource == "$metadata":
            # Always the EDMX XML: 17.4.7 says JSON cannot describe the metadata.
            return Response(render_metadata(base), status=200, content_type="application/xml;charset=utf-8",
                            headers={"DataServiceVersion": "3.0"})
        fmt = answer_format(request)
        if resource in ("", "/"):
            names = entity_set_names(base)
            if fmt == "json":
                body = {"odata.metadata": root.rstrip("/"), "value": [{"name": n, "url": n} for n in names]}
                return json_response(Reply(200, body))
            return Response(render_service_document_atom(root.rstrip("/"), names), status=200,
                            content_type="application/xml;charset=utf-8")
        if resource.startswith("$"):
            raise unknown_resource(resource)
        api = ODataApi(base, root)
        headers = {k: v for k, v in request.headers.items()}
        reply = api.handle(request.method, resource, args, request.get_data(), headers)
        return reply_response(reply, fmt, root)

    # -- control API ---------------------------------------------------------------------------
    def control(self, request: Request, path: str) -> Response:
        try:
            if path == "state" and request.method == "GET":
                return plain_json(control.state(self.bases))
            if request.method != "POST":
                raise control.ControlError(405, "use POST")
            if path == "reset":
                for name in list(self.bases):
                    self.bases[name] = self.build(name)
                return plain_json({"reset": sorted(self.bases)})
            name, _, action = path.partition("/")
            base = self.bases.get(name)
            if base is None:
                raise control.ControlError(404, f"unknown base {name!r}")
            if action == "reset":
                self.bases[name] = self.build(name)
                return plain_json({"reset": [name]})
            handler = control.base_actions().get(action)
            if handler is None:
                raise control.ControlError(404, f"unknown action {action!r}")
            data = request.get_json(force=True, silent=True) or {}
            with base.lock:
                return plain_json(handler(base, data))
        except control.ControlError as exc:
            return plain_json({"error": exc.message}, exc.status)


def _freeze(base: Base) -> bytes:
    """The base's whole state (its private configuration too) but its lock, which cannot be pickled."""
    return pickle.dumps({k: v for k, v in vars(base).items() if k != "lock"}, protocol=pickle.HIGHEST_PROTOCOL)


def _thaw(frozen: bytes) -> Base:
    base = Base.__new__(Base)
    base.__dict__.update(pickle.loads(frozen))  # only bytes this process pickled itself
    base.lock = threading.RLock()
    return base


def answer_format(request: Request) -> str:
    """"json" or "atom" for a data answer (17.4.2, 17.4.7); another `$format` is error 3 of 17.4.10."""
    fmt = request.args.get("$format", "").strip().lower()
    if not fmt:
        return "json" if "application/json" in request.headers.get("Accept", "") else "atom"
    if fmt == "json" or fmt.startswith("application/json"):
        return "json"
    if fmt in ("atom", "xml") or fmt.startswith(("application/atom+xml", "application/xml")):
        return "atom"
    raise unsupported_format(fmt)


def error_format(request: Request) -> str:
    """"json" when the request asked for JSON, "xml" otherwise; never fails (it formats errors)."""
    try:
        return "json" if answer_format(request) == "json" else "xml"
    except ODataError:
        return "xml"


def reply_response(reply: Reply, fmt: str, root: str) -> Response:
    """The answer in the asked format: Atom for a body that has an Atom layout, JSON (or text) otherwise."""
    if fmt == "atom" and reply.atom is not None and isinstance(reply.body, dict):
        text, content_type = atom.render(reply.body, reply.atom, root)
        headers = {"DataServiceVersion": "3.0", **(reply.headers or {})}
        return Response(text, status=reply.status, content_type=content_type, headers=headers)
    return json_response(reply)


def json_response(reply: Reply) -> Response:
    headers = {"DataServiceVersion": "3.0", **(reply.headers or {})}
    if isinstance(reply.body, (dict, list)):
        body = json.dumps(reply.body, ensure_ascii=False)
    else:
        body = "" if reply.body is None else str(reply.body)
    return Response(body, status=reply.status, content_type=reply.content_type, headers=headers)


def odata_error(exc: ODataError, fmt: str = "json") -> Response:
    # JSON: {"odata.error": {"code": "13", "message": {"lang": "ru", "value": "…"}}} as public forum answers
    # quote 1C; XML: the m:error example of 17.4.10. The codes are the docs' list (errors.py).
    if fmt == "json":
        return Response(exc.json_body(), status=exc.http_status, content_type="application/json;charset=utf-8")
    return Response(exc.xml_body(), status=exc.http_status, content_type="application/xml;charset=utf-8")


def unauthorized() -> Response:
    return Response("Unauthorized", status=401, content_type="text/plain; charset=utf-8",
                    headers={"WWW-Authenticate": 'Basic realm="1C:Enterprise"'})


def plain_json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


DESCRIPTION = "Sandbox 1C:Enterprise bases publishing the standard OData interface on loopback"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The server's options, declared once: `python -m` and `b24app sandbox-1c` both use them."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--counterparties", type=int, default=300)
    parser.add_argument("--settlements", type=int, default=None,
                        help="settlement register rows to generate (documents are added until reached)")
    parser.add_argument("--bases", default="ut:ut11,bp:bp30",
                        help="name:configuration pairs (ut11, ut11_4, bp30, bp30_83, unf)")
    parser.add_argument("--user", default="Администратор")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--demo", action="store_true", help="also seed the demo's client, items and deals")
    parser.add_argument("--catalog", type=int, default=0,
                        help="also seed a catalog of N items with groups, prices, barcodes and stock in 5 warehouses")


def settings_from(ns: argparse.Namespace, parser: argparse.ArgumentParser) -> Settings:
    bases = {}
    for item in ns.bases.split(","):
        name, _, config = item.strip().partition(":")
        if config not in CONFIGURATIONS or not name:
            parser.error(f"--bases: {item!r} is not name:configuration with configuration in {list(CONFIGURATIONS)}")
        bases[name] = config
    return Settings(ns.host, ns.port, ns.seed, ns.counterparties, ns.settlements, bases, ns.user, ns.password,
                    demo=ns.demo, catalog=max(0, getattr(ns, "catalog", 0) or 0))


def parse_args(argv: list[str]) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m b24sandbox.onec", description=DESCRIPTION)
    add_arguments(parser)
    return settings_from(parser.parse_args(argv), parser)


def main(argv: list[str] | None = None) -> int:
    """Start the server; the first stdout line is `SANDBOX_1C_URL=http://host:port`, flushed."""
    return serve(parse_args(sys.argv[1:] if argv is None else argv))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`b24app sandbox-1c`: serve with the options parsed by the app's CLI."""
    return serve(settings_from(args, parser))


def serve(settings: Settings) -> int:
    app = SandboxApp(settings)
    server = make_server(settings.host, settings.port, app, threaded=True)
    host, port = server.server_address[:2]
    print(f"SANDBOX_1C_URL=http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
