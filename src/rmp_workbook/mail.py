"""Messages to partners: the month's templates, feedback copies and reminders, as e-mails.

:func:`build_drafts` makes one RFC 5322 message per partner (standard library
:mod:`email`), addressed from the relationship config, with its workbook attached
and a short plain-English body: what it is, by when, what to fix.
:func:`write_drafts` saves them as ``.eml`` files a mail program opens as drafts;
:func:`send_drafts` sends them through an SMTP server (STARTTLS when the server
offers it; the user name and password come from the environment only and are
written nowhere). A recipient the server refuses is reported and the other
messages still go.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import os
import re
import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from rmp_workbook.atomic import atomic_write_bytes, safe_file_name
from rmp_workbook.config import PartnerConfig, RelationshipConfig
from rmp_workbook.findings import MailError, UsageError
from rmp_workbook.values import fold_text
from rmp_workbook.wording import plural

__all__ = [
    "Draft",
    "Kind",
    "MailResult",
    "NotWritten",
    "SmtpServer",
    "build_drafts",
    "send_drafts",
    "smtp_server",
    "write_drafts",
]

SMTP_URL_ENV = "RMP_SMTP_URL"
SMTP_USER_ENV = "RMP_SMTP_USER"
SMTP_PASSWORD_ENV = "RMP_SMTP_PASSWORD"

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ATTACHMENT_TYPES = {
    ".xlsx": XLSX_TYPE,
    ".xlsm": ("application", "vnd.ms-excel.sheet.macroEnabled.12"),
    ".ods": ("application", "vnd.oasis.opendocument.spreadsheet"),
    ".xls": ("application", "vnd.ms-excel"),
}
PROBLEMS_LISTED = 10
"""A feedback message lists this many problems; the attached copy has them all."""


class Kind(StrEnum):
    """What a run of ``rmp mail`` sends."""

    TEMPLATES = "templates"
    FEEDBACK = "feedback"
    REMINDERS = "reminders"


@dataclass
class Draft:
    """One message to one partner."""

    partner: str
    to: list[str]
    message: EmailMessage
    attachments: list[Path] = field(default_factory=list)
    path: Path | None = None
    """The ``.eml`` file, once written."""
    sent: bool | None = None
    """None: not sent (no ``--send``); True: the server accepted it; False: see ``error``."""
    error: str = ""

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "to": self.to,
            "subject": self.subject,
            "file": str(self.path) if self.path else None,
            "attachments": [p.name for p in self.attachments],
            "sent": self.sent,
            "error": self.error or None,
        }


@dataclass
class NotWritten:
    """A partner who gets no message, and why (a problem when ``problem`` is set)."""

    partner: str
    reason: str
    problem: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"partner": self.partner, "reason": self.reason, "problem": self.problem}


@dataclass
class MailResult:
    """What ``rmp mail`` made and, with ``--send``, what the server did with it."""

    kind: Kind
    period: str
    drafts: list[Draft] = field(default_factory=list)
    not_written: list[NotWritten] = field(default_factory=list)
    unmatched: list[Path] = field(default_factory=list)
    """Files in the folder that name no partner of the config for the period."""
    server: str = ""
    """The SMTP server sent through (host:port, never credentials)."""

    @property
    def exit_code(self) -> int:
        """0 when every expected message was made (and sent); 1 when some were not."""
        bad = any(n.problem for n in self.not_written) or any(d.sent is False for d in self.drafts)
        return 1 if bad else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "period": self.period,
            "server": self.server or None,
            "messages": [d.to_dict() for d in self.drafts],
            "not_written": [n.to_dict() for n in self.not_written],
            "unmatched_files": [str(p) for p in self.unmatched],
            "exit_code": self.exit_code,
        }


# ---------------------------------------------------------------------------
# Finding each partner's files


def _workbooks(folder: Path, feedback: bool) -> list[Path]:
    from rmp_workbook.feedback import FEEDBACK_SUFFIX
    from rmp_workbook.read import WORKBOOK_SUFFIXES

    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    found = []
    for path in sorted(folder.iterdir()):
        name = path.name.lower()
        if not path.is_file() or name.startswith(("~$", ".~")):
            continue
        is_feedback = name.endswith(FEEDBACK_SUFFIX)
        if is_feedback == feedback and path.suffix.lower() in WORKBOOK_SUFFIXES:
            found.append(path)
    return found


def files_by_partner(
    folder: str | os.PathLike[str],
    config: RelationshipConfig,
    period: str,
    *,
    feedback: bool,
) -> tuple[dict[str, list[Path]], list[Path]]:
    """The workbooks in ``folder`` for ``period``, by config partner name; and the unmatched.

    A workbook names its partner and period on its metadata sheet (templates, returned
    files and their feedback copies alike), so a renamed file is still found. A file
    without it is matched by the name ``rmp template`` gives it.
    """
    from rmp_workbook.read import WorkbookOpenError, read_meta
    from rmp_workbook.template import template_file_name

    partners = {fold_text(p.name): p.name for p in config.partners}
    by_file_name = {template_file_name(p.name, period).lower(): p.name for p in config.partners}
    found: dict[str, list[Path]] = {}
    unmatched: list[Path] = []
    for path in _workbooks(Path(folder), feedback):
        try:
            meta = read_meta(path)
        except WorkbookOpenError:
            meta = None
        partner: str | None
        if meta is not None:
            if meta.get("period", "") != period:
                continue  # another month's file: not this run's business
            if meta.get("relationship_id") and meta["relationship_id"] != config.id:
                continue
            partner = partners.get(fold_text(meta.get("partner", "")))
        else:
            partner = by_file_name.get(path.name.lower())
        if partner is None:
            unmatched.append(path)
        else:
            found.setdefault(partner, []).append(path)
    return found, unmatched


def problems_in_copy(path: Path) -> list[str]:
    """The problems a feedback copy lists on its Problems sheet, as one line each."""
    from python_calamine import CalamineWorkbook

    from rmp_workbook.feedback import PROBLEMS_SHEET

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception:  # the copy is our own file; unreadable means nothing to list
        return []
    try:
        if PROBLEMS_SHEET not in book.sheet_names:
            return []
        grid = book.get_sheet_by_name(PROBLEMS_SHEET).to_python(skip_empty_area=False)
    except Exception:
        return []
    finally:
        book.close()
    if not grid:
        return []
    header = [str(h).strip() for h in grid[0]]
    col = {h: i for i, h in enumerate(header)}
    needed = ("Severity", "Sheet", "Cell", "Problem")
    if any(h not in col for h in needed):
        return []
    lines = []
    for row in grid[1:]:
        cells = {h: str(row[col[h]]).strip() if col[h] < len(row) else "" for h in needed}
        if not cells["Problem"] or not cells["Severity"]:
            continue
        where = f"{cells['Sheet']} {cells['Cell']}".strip()
        lines.append(f"{cells['Severity']}, {where}: {cells['Problem']}")
    return lines


def missing_partners(
    config: RelationshipConfig, period: str, ledger: str | os.PathLike[str]
) -> list[PartnerConfig]:
    """The config's partners for ``period`` of whom the ledger holds no workbook for it."""
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.status import MISSING, ledger_states

    with Ledger(ledger, create=False) as led:
        frame = led.submissions_frame(config.id, period)
    members = config.members(period)
    # The same states rmp status gives: a partner is missing when nothing of it counts.
    states = ledger_states(frame, period, [p.name for p in members], None)
    received = {fold_text(name) for name, s in states.items() if s.state != MISSING}
    return [p for p in members if fold_text(p.name) not in received]


# ---------------------------------------------------------------------------
# Messages


def month_name(period: str) -> str:
    """``2026-11`` -> ``November 2026``."""
    year, month = int(period[:4]), int(period[5:7])
    return f"{calendar.month_name[month]} {year}"


def _day(date: dt.date) -> str:
    weekday, month = calendar.day_name[date.weekday()], calendar.month_name[date.month]
    return f"{weekday} {date.day} {month} {date.year}"


def addresses(partner: PartnerConfig) -> list[str]:
    """The partner's e-mail addresses from the config (several may be separated by commas)."""
    found = [addr for _name, addr in getaddresses([partner.email]) if "@" in addr]
    return found


def _greeting(partner: PartnerConfig) -> str:
    name = partner.contact.split()[0] if partner.contact.strip() else ""
    return f"Dear {name}," if name else f"Dear colleagues at {partner.name},"


def _signature(sender: str, config: RelationshipConfig) -> str:
    name = parseaddr(sender)[0]
    return "\n".join(["Kind regards,", *([name] if name else []), config.name])


def _when(due: dt.date | None) -> str:
    return f"by {_day(due)}" if due is not None else "as soon as you can"


@dataclass(frozen=True)
class _Context:
    """What every message body is written from."""

    config: RelationshipConfig
    partner: PartnerConfig
    period: str
    files: Sequence[Path]
    due: dt.date | None
    sender: str
    today: dt.date

    @property
    def month(self) -> str:
        return month_name(self.period)

    def letter(self, *paragraphs: str) -> str:
        """Greeting, paragraphs and signature; one line per paragraph, so mail programs wrap."""
        return (
            "\n\n".join(
                [_greeting(self.partner), *paragraphs, _signature(self.sender, self.config)]
            )
            + "\n"
        )


def _body_templates(c: _Context) -> tuple[str, str]:
    names = ", ".join(p.name for p in c.files)
    return f"{c.config.name}: your workbook for {c.month}", c.letter(
        f"Attached is {c.partner.name}'s Relationship Management Plan workbook for {c.month} "
        f"({names}).",
        f"Please fill it in for {c.month}: the agreed KPIs and service levels are already "
        "listed, so type this month's actual figures, and update the risks, actions and "
        "contacts. The Guide sheet explains every sheet, and each input cell says what it "
        "expects when you click it. Keep the layout as it is: do not rename sheets or columns.",
        f"Please send it back {_when(c.due)}: reply to this message with the completed file "
        "attached.",
    )


def _body_feedback(c: _Context) -> tuple[str, str]:
    parts = []
    for path in c.files:
        problems = problems_in_copy(path)
        count = plural(len(problems), "problem")
        listed = [f"  - {line}" for line in problems[:PROBLEMS_LISTED]]
        if len(problems) > PROBLEMS_LISTED:
            listed.append(f"  - … and {len(problems) - PROBLEMS_LISTED} more on the Problems sheet")
        parts.append("\n".join([f"{path.name}: {count}", *listed]) if problems else path.name)
    return f"{c.config.name}: please correct your workbook for {c.month}", c.letter(
        f"Thank you for {c.partner.name}'s workbook for {c.month}. We checked it and some "
        "entries need correcting before we can use them. The attached copy marks each problem "
        "in its cell (red for an error, amber for a warning, with a comment saying what is "
        "wrong), and its Problems sheet lists them all:",
        "\n\n".join(parts),
        "An error leaves its row out of this month's figures until it is fixed; a warning "
        "keeps the figure but asks you to check it.",
        "Please correct your own workbook (not the attached copy) and send it back "
        f"{_when(c.due)}.",
    )


def _body_reminders(c: _Context) -> tuple[str, str]:
    if c.due is not None and c.due < c.today:
        when = f"It was due on {_day(c.due)}: please send it as soon as you can."
    else:
        when = f"Please send it {_when(c.due)}."
    paragraphs = [
        f"We have not yet received {c.partner.name}'s Relationship Management Plan workbook "
        f"for {c.month}. {when}"
    ]
    if c.files:
        names = ", ".join(p.name for p in c.files)
        paragraphs.append(f"The workbook is attached again ({names}) in case you need it.")
    paragraphs.append("If you have already sent it, please send it again: it has not reached us.")
    return f"Reminder: {c.config.name} workbook for {c.month}", c.letter(*paragraphs)


_BODIES = {
    Kind.TEMPLATES: _body_templates,
    Kind.FEEDBACK: _body_feedback,
    Kind.REMINDERS: _body_reminders,
}


def _message(
    sender: str,
    to: Sequence[str],
    partner: PartnerConfig,
    subject: str,
    body: str,
    files: Sequence[Path],
    now: dt.datetime,
) -> EmailMessage:
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = sender
    display = partner.contact.strip() or partner.name
    msg["To"] = ", ".join(formataddr((display, addr)) for addr in to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid("rmp", domain=domain)
    # Outlook and Thunderbird open an .eml marked unsent as an editable draft.
    msg["X-Unsent"] = "1"
    msg.set_content(body)
    for path in files:
        maintype, subtype = ATTACHMENT_TYPES.get(
            path.suffix.lower(), ("application", "octet-stream")
        )
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return msg


def build_drafts(
    config: RelationshipConfig,
    period: str,
    kind: Kind | str,
    *,
    folder: str | os.PathLike[str] | None = None,
    ledger: str | os.PathLike[str] | None = None,
    sender: str | None = None,
    due: dt.date | None = None,
    now: dt.datetime | None = None,
) -> MailResult:
    """One message per partner who should get one.

    - ``templates``: every partner, with its workbook for ``period`` from ``folder``
      (what ``rmp template --all`` wrote).
    - ``feedback``: every partner with a feedback copy for ``period`` in ``folder``
      (what ``rmp merge --feedback`` wrote), listing its problems.
    - ``reminders``: every partner of whom ``ledger`` holds no workbook for ``period``;
      with ``folder``, its template is attached again.

    ``sender`` defaults to the config's ``[relationship.mail] from``, ``due`` to the config's
    due day for ``period``. Partners who were not members in ``period`` get nothing. A
    partner without an e-mail address or (templates) without a workbook is listed in
    ``not_written``.
    """
    from rmp_workbook.template import check_period

    kind = Kind(kind)
    period = check_period(period)
    sender = sender or config.mail.sender
    if not sender or "@" not in parseaddr(sender)[1]:
        raise UsageError(
            'no sender address: give --from, or set from = "Name <you@example.com>" '
            "under [relationship.mail] in the config"
        )
    if not config.partners:
        raise UsageError("the config lists no partners: add [[relationship.partners]] entries")
    result = MailResult(kind=kind, period=period)
    files: dict[str, list[Path]] = {}
    if folder is not None:
        files, result.unmatched = files_by_partner(
            folder, config, period, feedback=kind is Kind.FEEDBACK
        )
    elif kind is not Kind.REMINDERS:
        raise UsageError(
            f"--kind {kind} needs the folder of "
            + ("the month's templates" if kind is Kind.TEMPLATES else "feedback copies")
        )
    # Only the partners who were members in the month are written to (joined/left).
    members = config.members(period)
    partners: Iterable[PartnerConfig] = members
    due = due or config.due_date(period)
    if kind is Kind.REMINDERS:
        if ledger is None:
            raise UsageError("--kind reminders needs the ledger, to know who has sent a workbook")
        waiting = missing_partners(config, period, ledger)
        names = {p.name for p in waiting}
        for p in members:
            if p.name not in names:
                result.not_written.append(
                    NotWritten(p.name, f"its workbook for {period} is in the ledger", False)
                )
        partners = waiting
    now = now or dt.datetime.now(dt.UTC)
    for partner in partners:
        attach = files.get(partner.name, [])
        if kind is Kind.TEMPLATES and not attach:
            result.not_written.append(
                NotWritten(partner.name, f"no workbook for {period} in {folder}")
            )
            continue
        if kind is Kind.FEEDBACK and not attach:
            result.not_written.append(
                NotWritten(partner.name, "no feedback copy: nothing to correct", False)
            )
            continue
        to = addresses(partner)
        if not to:
            result.not_written.append(
                NotWritten(partner.name, "no e-mail address in the config (partners.email)")
            )
            continue
        context = _Context(config, partner, period, attach, due, sender, now.date())
        subject, body = _BODIES[kind](context)
        msg = _message(sender, to, partner, subject, body, attach, now)
        result.drafts.append(Draft(partner.name, list(to), msg, list(attach)))
    return result


def draft_file_name(partner: str, period: str, kind: Kind) -> str:
    """``Northwind Ltd`` -> ``northwind-ltd-2026-11-templates.eml``."""
    from rmp_workbook.template import template_file_name

    stem = template_file_name(partner, period).removesuffix(".xlsx")
    return safe_file_name(f"{stem}-{kind}.eml")


def write_drafts(result: MailResult, outbox: str | os.PathLike[str]) -> list[Path]:
    """Save every draft as an ``.eml`` file in ``outbox``; return the paths."""
    out = Path(outbox)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; -o names the outbox folder")
    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for draft in result.drafts:
        name = draft_file_name(draft.partner, result.period, result.kind)
        stem, n = name.removesuffix(".eml"), 2
        while name in taken:
            name, n = f"{stem}-{n}.eml", n + 1
        taken.add(name)
        path = out / name
        atomic_write_bytes(path, draft.message.as_bytes())
        draft.path = path
    return [d.path for d in result.drafts if d.path is not None]


# ---------------------------------------------------------------------------
# Sending


@dataclass(frozen=True)
class SmtpServer:
    """Where to send: from ``RMP_SMTP_URL`` or the config; credentials from the environment."""

    host: str
    port: int
    tls: str
    """``starttls`` (when offered; required with credentials), ``require`` or ``ssl``."""
    user: str = field(default="", repr=False)
    password: str = field(default="", repr=False)

    @property
    def name(self) -> str:
        """What messages and reports show: never the user name or password."""
        return f"{self.host}:{self.port}"


_SCHEMES = {"smtp": ("starttls", 25), "smtps": ("ssl", 465), "smtp+starttls": ("require", 587)}


def smtp_server(
    config: RelationshipConfig | None, environ: Mapping[str, str] | None = None
) -> SmtpServer:
    """The SMTP server to send through: ``RMP_SMTP_URL``, else the config's ``mail.smtp``.

    ``smtp://host:port`` uses STARTTLS when the server offers it, ``smtp+starttls://``
    requires it, ``smtps://`` is TLS from the start. ``RMP_SMTP_USER`` and
    ``RMP_SMTP_PASSWORD`` (or a user and password in ``RMP_SMTP_URL`` itself) log in.
    """
    env = os.environ if environ is None else environ
    url = env.get(SMTP_URL_ENV, "").strip()
    origin = SMTP_URL_ENV
    if not url and config is not None and config.mail.smtp:
        url, origin = config.mail.smtp.strip(), "the config's mail.smtp"
    if not url:
        raise UsageError(
            f"no SMTP server: set {SMTP_URL_ENV}=smtp://host:port or smtp under "
            "[relationship.mail] in the config"
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not parts.hostname:
        raise UsageError(
            f"{origin} is not an SMTP address like smtp://mail.example.com:587 "
            "(smtp://, smtp+starttls:// or smtps://)"
        )
    tls, default_port = _SCHEMES[scheme]
    query = parse_qs(parts.query)
    if query.get("starttls", [""])[0].lower() in ("require", "required", "yes", "true", "1"):
        tls = "require"
    try:
        port = parts.port or default_port
    except ValueError:
        raise UsageError(f"{origin}: the port is not a number") from None
    user = env.get(SMTP_USER_ENV) or unquote(parts.username or "")
    password = env.get(SMTP_PASSWORD_ENV) or unquote(parts.password or "")
    return SmtpServer(parts.hostname, port, tls, user, password)


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if server.tls == "ssl":
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        try:
            smtp.ehlo()
            if server.tls != "ssl":
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif server.tls == "require":
                    raise MailError(f"{server.name} does not offer STARTTLS (encryption)")
                elif server.user:
                    raise MailError(
                        f"{server.name} does not offer STARTTLS: the password would cross the "
                        "network unencrypted, so nothing was sent"
                    )
            if server.user:
                smtp.login(server.user, server.password)
        except BaseException:
            smtp.close()
            raise
    except smtplib.SMTPAuthenticationError:
        raise MailError(
            f"{server.name} refused the log-in: check {SMTP_USER_ENV} and {SMTP_PASSWORD_ENV}"
        ) from None
    except ssl.SSLError as exc:
        raise MailError(f"{server.name}: the encrypted connection failed ({exc.reason})") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"cannot reach the SMTP server {server.name}: {_reason(exc)}") from None
    return smtp


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in exc.recipients.items()
        )
    return str(exc) or type(exc).__name__


def send_drafts(result: MailResult, server: SmtpServer, *, timeout: float = 30.0) -> MailResult:
    """Send every draft through ``server``; each draft's ``sent``/``error`` says what happened.

    One connection for the run. A refused recipient or message marks that draft only and
    the others still go; a lost connection is reopened for the next message. MailError when
    the server cannot be reached or refuses the log-in before anything was sent.
    """
    result.server = server.name
    smtp: smtplib.SMTP | None = _connect(server, timeout)
    try:
        for draft in result.drafts:
            msg = _outgoing(draft.message)
            try:
                if smtp is None:
                    smtp = _connect(server, timeout)
                refused = smtp.send_message(msg, to_addrs=draft.to)
            except smtplib.SMTPServerDisconnected as exc:
                draft.sent, draft.error = False, f"the server closed the connection ({exc})"
                smtp = None
                continue
            except MailError as exc:
                draft.sent, draft.error = False, str(exc)
                continue
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                    smtplib.SMTPDataError) as exc:  # fmt: skip
                draft.sent, draft.error = False, f"refused: {_reason(exc)}"
                _reset(smtp)
                continue
            except (smtplib.SMTPException, OSError) as exc:
                draft.sent, draft.error = False, _reason(exc)
                smtp = None
                continue
            if refused:
                draft.sent = False
                draft.error = "refused: " + "; ".join(
                    f"{addr}: {code} {text.decode(errors='replace')}"
                    for addr, (code, text) in refused.items()
                )
            else:
                draft.sent = True
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    return result


def _reset(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.rset()


def _outgoing(draft: EmailMessage) -> EmailMessage:
    """The message as sent: the draft marker removed, everything else as written."""
    import copy

    msg = copy.copy(draft)
    del msg["X-Unsent"]
    return msg


def parse_due(text: str | None) -> dt.date | None:
    """``--due 2026-12-07`` -> a date; UsageError in words for anything else."""
    if not text:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise UsageError(f"--due {text!r}: give a date as YYYY-MM-DD, e.g. 2026-12-07")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--due {text!r} is not a real date") from None
