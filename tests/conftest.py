"""Shared fixtures: LibreOffice headless conversion and running the ``rmp`` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest

import rmp_workbook

SRC = Path(rmp_workbook.__file__).resolve().parent.parent
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
"""The sample relationship: six months of three partners' workbooks and its rmp.toml."""


def load_render_check() -> ModuleType:
    """``scripts/render_check.py`` (a script, not part of the package) as a module."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "scripts" / "render_check.py"
    spec = importlib.util.spec_from_file_location("render_check", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_check"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice() -> str:
    """The LibreOffice binary; a missing one fails under CI and skips elsewhere."""
    path = soffice_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "LibreOffice (soffice) is required in CI: apt-get install libreoffice-calc-nogui"
            )
        pytest.skip("LibreOffice (soffice) is not installed")
    return path


def convert(
    soffice: str, src: Path, fmt: str, outdir: Path, *, registry: str | None = None
) -> Path:
    """Convert ``src`` with LibreOffice headless; each run gets its own profile folder.

    ``registry`` is a ``registrymodifications.xcu`` to start the profile with (for
    example, one that makes LibreOffice recalculate every formula on load).
    """
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / f".lo-profile-{uuid.uuid4().hex}"
    if registry is not None:
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(registry, encoding="utf-8")
    cmd = [
        soffice,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--norestore",
        "--convert-to",
        fmt,
        "--outdir",
        str(outdir),
        str(src),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    shutil.rmtree(profile, ignore_errors=True)
    out = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    if not out.exists():
        raise AssertionError(f"LibreOffice did not convert {src}: {proc.stdout}\n{proc.stderr}")
    return out


@pytest.fixture
def lo_convert(soffice: str):
    """``lo_convert(path, "ods", outdir)`` -> converted file path."""

    def run(src: Path, fmt: str, outdir: Path) -> Path:
        return convert(soffice, Path(src), fmt, Path(outdir))

    return run


def run_rmp(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``python -m rmp_workbook`` in a child process, as a user would run ``rmp``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "rmp_workbook", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def merge_sample(folder: Path, config: Path = SAMPLE / "rmp.toml") -> Path:
    """``rmp merge`` of the sample months into ``folder``'s ledger (rmp-ledger.sqlite, made
    when missing), as a manager would run it: the ledger's path."""
    ledger = folder / "rmp-ledger.sqlite"
    proc = run_rmp(
        "merge", str(SAMPLE), "--config", str(config), "--ledger", str(ledger),
        "-o", str(folder / "consolidated.xlsx"), "--jobs", "1",
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return ledger


def postgres_bindir() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian layout), or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server on a Unix socket: yields its ``postgresql+psycopg`` URL.

    Started from nothing (initdb, pg_ctl) in a temporary folder and stopped at the end of
    the session. As root the server runs as the ``postgres`` user (it refuses root).
    """
    import tempfile

    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg (PostgreSQL driver) is not installed")
    base = Path(tempfile.mkdtemp(prefix="rmp-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip("running as root and there is no postgres user to run the server")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    os.chmod(base, 0o700)
    data = base / "data"

    def run(*cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*prefix, *cmd], capture_output=True, text=True, timeout=120, cwd=base
        )

    init = run(
        str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
        "-E", "UTF8", "--locale=C", "--no-sync",
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"initdb failed: {init.stdout}\n{init.stderr}")
    opts = f"-k {base} -c listen_addresses='' -F -c max_connections=50"
    start = run(
        str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-t", "60",
        "-l", str(base / "server.log"), "start",
    )  # fmt: skip
    if start.returncode != 0:
        log = (
            (base / "server.log").read_text(errors="replace")
            if (base / "server.log").exists()
            else ""
        )
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {start.stdout}\n{start.stderr}\n{log}")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={base}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: str):
    """A fresh, empty database on the session's server (dropped afterwards): its URL."""
    import psycopg

    host = postgres_server.split("host=", 1)[1]
    name = f"rmp_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@/{name}?host={host}"
    finally:
        with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a SQLite ledger file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "rmp-ledger.sqlite")
    return str(request.getfixturevalue("postgres_database"))


class SmtpSink:
    """What a local SMTP server received; ``refuse`` holds addresses it rejects (550)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.logins: list[str] = []
        self.url = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 without TLS: yields a :class:`SmtpSink`."""
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    sink = SmtpSink()
    port = _free_port()
    controller = controller_mod.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.url = f"smtp://127.0.0.1:{port}"
    try:
        yield sink
    finally:
        controller.stop()


SMTP_USER, SMTP_PASSWORD = "rmp-mailer", "s3cret-Pa55"


@pytest.fixture
def smtp_tls_sink(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A real SMTP server that requires STARTTLS and a log-in (SMTP_USER / SMTP_PASSWORD).

    Its certificate is self-signed for 127.0.0.1 and trusted through SSL_CERT_FILE, as a
    company's own certificate authority would be.
    """
    import ssl

    controller_mod = pytest.importorskip("aiosmtpd.controller")
    smtp_mod = pytest.importorskip("aiosmtpd.smtp")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed (needed for a test certificate)")
    folder = tmp_path_factory.mktemp("smtp-cert")
    cert, key = folder / "cert.pem", folder / "key.pem"
    made = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.fail(f"openssl could not make a test certificate: {made.stderr}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink = SmtpSink()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, smtp_mod.LoginPassword)
            and auth_data.login == SMTP_USER.encode()
            and auth_data.password == SMTP_PASSWORD.encode()
        )
        if ok:
            sink.logins.append(auth_data.login.decode())
        return smtp_mod.AuthResult(success=ok, handled=False)

    port = _free_port()
    controller = controller_mod.Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    sink.url = f"smtp://127.0.0.1:{port}"
    try:
        yield sink
    finally:
        controller.stop()
