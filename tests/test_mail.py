"""``rmp mail``: drafts per partner with their workbook attached, sent to a real SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import json
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from conftest import SMTP_PASSWORD, SMTP_USER, run_rmp
from fill import fill_bad

from rmp_workbook.config import load_config
from rmp_workbook.findings import MailError, UsageError
from rmp_workbook.mail import (
    Kind,
    build_drafts,
    send_drafts,
    smtp_server,
    write_drafts,
)
from rmp_workbook.template import write_partner_templates

PERIOD = "2026-11"
DUE = dt.date(2026, 12, 7)

CONFIG = """\
[relationship]
id = "NW-CT-2026"
name = "Northwind–Contoso Alliance"

[[relationship.partners]]
name = "Northwind Ltd"
contact = "Aisha Khan"
email = "aisha.khan@northwind.example"

[[relationship.partners]]
name = "Contoso plc"
contact = "Tom Becker"
email = "tom.becker@contoso.example, ops@contoso.example"

[[relationship.partners]]
name = "Fabrikam Services"
contact = "Lena Novak"
email = "lena.novak@fabrikam.example"

[[relationship.partners]]
name = "Tailspin Toys"

[[relationship.kpis]]
id = "K01"
name = "On-time delivery"
unit = "%"
target = 95
amber = 90
owner = "Northwind Ltd"

[relationship.mail]
from = "Rita Manager <rita@alliance.example>"
"""


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    """The config and the month's templates, written by the real writers."""
    config = tmp_path / "rmp.toml"
    config.write_text(CONFIG, encoding="utf-8")
    write_partner_templates(tmp_path / PERIOD, load_config(config), PERIOD)
    return config, tmp_path / PERIOD


def test_template_drafts_are_addressed_attached_and_say_by_when(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    config_path, templates = setup
    # A template renamed by hand is still found: its metadata sheet names the partner.
    (templates / "contoso-plc-2026-11.xlsx").rename(templates / "for Tom.xlsx")
    result = build_drafts(load_config(config_path), PERIOD, "templates", folder=templates, due=DUE)
    paths = write_drafts(result, tmp_path / "outbox")
    assert [p.name for p in paths] == [
        "northwind-ltd-2026-11-templates.eml",
        "contoso-plc-2026-11-templates.eml",
        "fabrikam-services-2026-11-templates.eml",
    ]
    # The partner without an e-mail address gets no draft and is a problem to report.
    assert [(n.partner, n.problem) for n in result.not_written] == [("Tailspin Toys", True)]
    assert "no e-mail address" in result.not_written[0].reason
    assert result.exit_code == 1

    msg = parse(paths[1].read_bytes())
    assert msg["From"] == "Rita Manager <rita@alliance.example>"
    assert [a.addr_spec for a in msg["To"].addresses] == [
        "tom.becker@contoso.example",
        "ops@contoso.example",
    ]
    assert msg["To"].addresses[0].display_name == "Tom Becker"
    assert msg["Subject"] == "Northwind–Contoso Alliance: your workbook for November 2026"
    assert msg["X-Unsent"] == "1" and msg["Message-ID"].endswith("@alliance.example>")
    assert b"\r\n" in paths[1].read_bytes()  # RFC 5322 line ends
    body = msg.get_body(("plain",)).get_content()
    assert "Dear Tom," in body
    assert "Contoso plc's Relationship Management Plan workbook for November 2026" in body
    assert "by Monday 7 December 2026" in body
    assert attachments(msg) == {"for Tom.xlsx": (templates / "for Tom.xlsx").read_bytes()}
    part = next(msg.iter_attachments())
    assert part.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_sent_to_a_real_server_a_refused_recipient_is_reported_the_others_go(
    setup: tuple[Path, Path], smtp_sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path, templates = setup
    config = load_config(config_path)
    smtp_sink.refuse.add("lena.novak@fabrikam.example")
    monkeypatch.setenv("RMP_SMTP_URL", smtp_sink.url)
    result = build_drafts(config, PERIOD, Kind.TEMPLATES, folder=templates)
    send_drafts(result, smtp_server(config))
    sent = {d.partner: (d.sent, d.error) for d in result.drafts}
    assert sent["Northwind Ltd"] == (True, "")
    assert sent["Contoso plc"] == (True, "")
    assert sent["Fabrikam Services"][0] is False
    assert (
        "550" in sent["Fabrikam Services"][1]
        and "lena.novak@fabrikam.example" in (sent["Fabrikam Services"][1])
    )
    assert result.exit_code == 1

    arrived = {tuple(rcpt): parse(data) for _sender, rcpt, data in smtp_sink.messages}
    assert set(arrived) == {
        ("aisha.khan@northwind.example",),
        ("tom.becker@contoso.example", "ops@contoso.example"),
    }
    assert all(s == "rita@alliance.example" for s, _r, _d in smtp_sink.messages)
    north = arrived[("aisha.khan@northwind.example",)]
    assert "X-Unsent" not in north  # a draft marker, not for the partner's inbox
    assert attachments(north) == {
        "northwind-ltd-2026-11.xlsx": (templates / "northwind-ltd-2026-11.xlsx").read_bytes()
    }


def test_starttls_and_login_from_the_environment_never_written(
    setup: tuple[Path, Path], smtp_tls_sink, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config_path, templates = setup
    monkeypatch.setenv("RMP_SMTP_URL", smtp_tls_sink.url)
    monkeypatch.setenv("RMP_SMTP_USER", SMTP_USER)
    monkeypatch.setenv("RMP_SMTP_PASSWORD", SMTP_PASSWORD)
    outbox = tmp_path / "outbox"
    proc = run_rmp(
        "mail", "--config", str(config_path), "--period", PERIOD, "--kind", "templates",
        "--files", str(templates), "-o", str(outbox), "--send", "--json",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # Tailspin Toys has no address
    data = json.loads(proc.stdout)
    assert [m["sent"] for m in data["messages"]] == [True, True, True]
    assert data["server"] == smtp_tls_sink.url.removeprefix("smtp://")
    assert smtp_tls_sink.logins == [SMTP_USER]
    assert len(smtp_tls_sink.messages) == 3
    written = b"".join(p.read_bytes() for p in outbox.iterdir())
    for secret in (SMTP_PASSWORD, SMTP_USER):
        assert secret not in proc.stdout + proc.stderr
        assert secret.encode() not in written

    # A wrong password: one line, exit 2, nothing sent.
    monkeypatch.setenv("RMP_SMTP_PASSWORD", "wrong")
    before = len(smtp_tls_sink.messages)
    proc = run_rmp(
        "mail", "--config", str(config_path), "--period", PERIOD, "--kind", "templates",
        "--files", str(templates), "-o", str(outbox), "--send",
    )  # fmt: skip
    assert proc.returncode == 2
    assert "refused the log-in" in proc.stderr and "wrong" not in proc.stderr
    assert len(smtp_tls_sink.messages) == before


def test_no_password_over_an_unencrypted_connection(
    setup: tuple[Path, Path], smtp_sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path, templates = setup
    config = load_config(config_path)
    monkeypatch.setenv("RMP_SMTP_URL", smtp_sink.url)
    monkeypatch.setenv("RMP_SMTP_USER", SMTP_USER)
    monkeypatch.setenv("RMP_SMTP_PASSWORD", SMTP_PASSWORD)
    result = build_drafts(config, PERIOD, Kind.TEMPLATES, folder=templates)
    with pytest.raises(MailError, match="unencrypted"):
        send_drafts(result, smtp_server(config))
    assert smtp_sink.messages == []


def test_feedback_lists_what_to_fix(tmp_path: Path, setup: tuple[Path, Path]) -> None:
    from rmp_workbook.feedback import write_report_feedback
    from rmp_workbook.validate import validate_paths

    config_path, templates = setup
    returned = tmp_path / "returned"
    returned.mkdir()
    fill_bad(templates / "northwind-ltd-2026-11.xlsx", returned / "northwind-ltd-2026-11.xlsx")
    copies = write_report_feedback(validate_paths([returned]), tmp_path / "feedback")
    assert len(copies) == 1
    result = build_drafts(
        load_config(config_path), PERIOD, "feedback", folder=tmp_path / "feedback", due=DUE
    )
    assert [d.partner for d in result.drafts] == ["Northwind Ltd"]
    # Partners whose file had nothing to fix get nothing, and that is not a problem.
    assert {n.partner for n in result.not_written} == {
        "Contoso plc", "Fabrikam Services", "Tailspin Toys"
    }  # fmt: skip
    assert result.exit_code == 0
    msg = result.drafts[0].message
    assert msg["Subject"] == (
        "Northwind–Contoso Alliance: please correct your workbook for November 2026"
    )
    body = msg.get_body(("plain",)).get_content()
    assert "Dear Aisha," in body
    assert "problems" in body and "KPIs" in body
    assert "Error, " in body
    assert attachments(msg) == {copies[0].name: copies[0].read_bytes()}


def test_reminders_go_to_partners_missing_from_the_ledger(
    tmp_path: Path, setup: tuple[Path, Path]
) -> None:
    from fill import fill_good

    from rmp_workbook.merge import merge

    config_path, templates = setup
    config = load_config(config_path)
    returned = tmp_path / "returned"
    returned.mkdir()
    fill_good(templates / "contoso-plc-2026-11.xlsx", returned / "contoso.xlsx")
    ledger = tmp_path / "l.sqlite"
    merge([returned], ledger=ledger, output=tmp_path / "c.xlsx", config=config)
    result = build_drafts(
        config, PERIOD, "reminders", folder=templates, ledger=ledger, due=dt.date(2026, 12, 7)
    )
    assert [d.partner for d in result.drafts] == ["Northwind Ltd", "Fabrikam Services"]
    assert [(n.partner, n.problem) for n in result.not_written] == [
        ("Contoso plc", False),
        ("Tailspin Toys", True),
    ]
    msg = result.drafts[0].message
    assert msg["Subject"] == "Reminder: Northwind–Contoso Alliance workbook for November 2026"
    body = msg.get_body(("plain",)).get_content()
    assert "not yet received Northwind Ltd's" in body
    assert list(attachments(msg)) == ["northwind-ltd-2026-11.xlsx"]


def test_misuse_is_one_line(setup: tuple[Path, Path], tmp_path: Path) -> None:
    config_path, templates = setup
    config = load_config(config_path)
    with pytest.raises(UsageError, match="needs the folder"):
        build_drafts(config, PERIOD, "templates")
    with pytest.raises(UsageError, match="needs the ledger"):
        build_drafts(config, PERIOD, "reminders")
    with pytest.raises(UsageError, match="no SMTP server"):
        smtp_server(config, environ={})
    with pytest.raises(UsageError, match="not an SMTP address"):
        smtp_server(config, environ={"RMP_SMTP_URL": "http://mail.example"})
    proc = run_rmp(
        "mail", "--config", str(config_path), "--period", PERIOD, "--kind", "templates",
        "--files", str(templates), "-o", str(tmp_path / "o"), "--send",
    )  # fmt: skip
    # No server configured: nothing is written, one line, exit 2.
    assert proc.returncode == 2 and "no SMTP server" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_the_config_never_holds_smtp_credentials(tmp_path: Path) -> None:
    from rmp_workbook.findings import ConfigError

    path = tmp_path / "rmp.toml"
    path.write_text(CONFIG + 'smtp = "smtp://user:pw@mail.example:587"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="RMP_SMTP_PASSWORD"):
        load_config(path)


def test_unreachable_server_is_one_line(setup: tuple[Path, Path], tmp_path: Path) -> None:
    from conftest import _free_port

    config_path, templates = setup
    config = load_config(config_path)
    result = build_drafts(config, PERIOD, Kind.TEMPLATES, folder=templates)
    server = smtp_server(config, environ={"RMP_SMTP_URL": f"smtp://127.0.0.1:{_free_port()}"})
    with pytest.raises(MailError, match=r"cannot reach the SMTP server 127\.0\.0\.1"):
        send_drafts(result, server)


def test_due_day_and_membership_come_from_the_config(tmp_path: Path) -> None:
    config_path = tmp_path / "rmp.toml"
    text = CONFIG.replace(
        'name = "Northwind–Contoso Alliance"\n',
        'name = "Northwind–Contoso Alliance"\ndue = "working day 5"\n',
    ).replace(
        'email = "lena.novak@fabrikam.example"\n',
        'email = "lena.novak@fabrikam.example"\nleft = 2026-11-01\n',
    )
    config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path)
    write_partner_templates(tmp_path / PERIOD, config, PERIOD)
    result = build_drafts(config, PERIOD, "templates", folder=tmp_path / PERIOD)
    # Fabrikam left before November: no message for it.
    assert [d.partner for d in result.drafts] == ["Northwind Ltd", "Contoso plc"]
    body = result.drafts[0].message.get_body(("plain",)).get_content()
    # The fifth working day of December 2026.
    assert "by Monday 7 December 2026" in body
