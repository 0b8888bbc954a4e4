"""The container check: what a file is, and whether a parser may touch it."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from hostile_corpus import (
    ODS_CELL,
    build_corpus,
    cfb,
    replace_members,
    valid_xlsx,
    with_macros,
    xls_biff,
)

from rmp_workbook.container import (
    Limits,
    LimitsError,
    UnreadableWorkbook,
    check_container,
    guess_format,
    require_readable,
)
from rmp_workbook.findings import Finding, Severity
from rmp_workbook.schema import SHEET_ORDER


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("hostile")
    secret = folder / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a")
    return build_corpus(folder / "files", secret)


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return valid_xlsx(tmp_path_factory.mktemp("valid") / "plan.xlsx")


CASES = [
    "empty",
    "text",
    "pdf",
    "csv",
    "html",
    "truncated",
    "zip-no-workbook",
    "folder",
    "encrypted-ole",
    "encrypted-xls",
    "deflate-bomb",
    "deflate-bomb-lying",
    "size-lie",
    "billion-laughs",
    "xxe",
    "doctype-after-comment",
    "doctype-utf16",
    "far-cell",
    "xls-far-cell",
    "ods-repeat-bomb",
    "ods-encrypted",
]


@pytest.mark.parametrize("case", CASES)
def test_hostile_file_is_refused_with_one_line(corpus, case: str) -> None:
    path, code = corpus[case]
    start = time.monotonic()
    info = check_container(path)
    assert time.monotonic() - start < 2
    assert not info.ok
    assert [f.code for f in info.errors] == [code]
    message = info.errors[0].message
    assert "\n" not in message and "Traceback" not in message
    assert info.errors[0].file == str(path)


def test_corpus_covers_every_case(corpus) -> None:
    assert sorted(corpus) == sorted(CASES)


def test_guesses_name_the_real_format(corpus) -> None:
    def note(case: str) -> str:
        return check_container(corpus[case][0]).errors[0].message

    assert "CSV file" in note("csv") and ".xlsx" in note("csv")
    assert "PDF" in note("pdf")
    assert "web page (HTML)" in note("html")
    assert "plain text" in note("text")
    assert "folder" in note("folder")
    assert "cut short" in note("truncated")
    assert "no workbook inside" in note("zip-no-workbook")
    assert "without a password" in note("encrypted-ole")


def test_bombs_stay_small_on_disk_and_fast(corpus) -> None:
    for case in ("deflate-bomb", "deflate-bomb-lying"):
        path = corpus[case][0]
        assert path.stat().st_size < 4 * 1024 * 1024
        with zipfile.ZipFile(path) as zf:
            sheet = zf.getinfo("xl/worksheets/sheet1.xml")
        if case == "deflate-bomb":
            assert sheet.file_size == 2048 * 1024 * 1024
    msg = check_container(corpus["deflate-bomb"][0]).errors[0].message
    assert "ratio" in msg and "RMP_MAX_RATIO" in msg


def test_valid_workbook_passes(valid: Path) -> None:
    info = check_container(valid)
    assert info.ok and info.findings == []
    assert info.kind == "xlsx"
    assert not info.has_macros
    assert info.uncompressed > info.size
    assert info.extents and all(r >= 1 and c >= 1 for r, c in info.extents.values())


def test_macros_are_a_warning_naming_the_part(valid: Path, tmp_path: Path) -> None:
    info = check_container(with_macros(tmp_path / "plan.xlsm", valid))
    assert info.ok
    assert info.kind == "xlsm"
    assert info.has_macros and info.macro_parts == ("xl/vbaProject.bin",)
    [warning] = info.findings
    assert warning.code == "macros" and warning.severity is Severity.WARNING
    assert "xl/vbaProject.bin" in warning.message and "never runs" in warning.message


def test_legacy_xls_compound_file_is_accepted(tmp_path: Path) -> None:
    info = check_container(cfb(tmp_path / "old.xls", {"Workbook": xls_biff()}))
    assert info.ok and info.kind == "xls"
    macro = cfb(tmp_path / "macro.xls", {"Workbook": xls_biff(), "_VBA_PROJECT_CUR": b"x"})
    info = check_container(macro)
    assert info.ok and info.macro_parts == ("_VBA_PROJECT_CUR",)
    word = check_container(cfb(tmp_path / "letter.xls", {"WordDocument": b"x"}))
    assert [f.code for f in word.errors] == ["not-a-workbook"]
    assert "Word" in word.errors[0].message


def test_damaged_compound_file_is_corrupt(tmp_path: Path) -> None:
    good = cfb(tmp_path / "old.xls", {"Workbook": xls_biff()}).read_bytes()
    cut = tmp_path / "cut.xls"
    cut.write_bytes(good[:600])
    assert [f.code for f in check_container(cut).errors] == ["corrupt-file"]


def test_real_ods_and_xls_from_libreoffice(valid: Path, tmp_path: Path, lo_convert) -> None:
    ods = lo_convert(valid, "ods", tmp_path)
    xls = lo_convert(valid, "xls", tmp_path)
    assert check_container(ods).kind == "ods" and check_container(ods).ok
    assert check_container(xls).kind == "xls" and check_container(xls).ok


def test_small_ods_passes(tmp_path: Path) -> None:
    from hostile_corpus import ods

    info = check_container(ods(tmp_path / "plan.ods", ODS_CELL * 3))
    assert info.ok and info.kind == "ods"
    assert info.extents["Risks"] == (1, 3)


def test_word_and_odt_in_a_zip_are_named(tmp_path: Path) -> None:
    docx = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert "Word document" in check_container(docx).errors[0].message
    odt = tmp_path / "letter.ods"
    with zipfile.ZipFile(odt, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>")
    assert "OpenDocument text" in check_container(odt).errors[0].message


def test_prolog_too_long_is_refused(valid: Path, tmp_path: Path) -> None:
    xml = b'<?xml version="1.0"?><!--' + b"x" * 70_000 + b"--><sst/>"
    path = replace_members(valid, tmp_path / "long.xlsx", {"xl/sharedStrings.xml": xml})
    [error] = check_container(path).errors
    assert error.code == "xml-entities" and "64 KB" in error.message


def test_comment_before_root_is_fine(valid: Path, tmp_path: Path) -> None:
    xml = b'<?xml version="1.0"?>\n<!-- made by hand -->\n<?pi x?>\n<sst count="0"/>'
    path = replace_members(valid, tmp_path / "ok.xlsx", {"xl/sharedStrings.xml": xml})
    assert check_container(path).ok


def test_limits_defaults_env_and_config() -> None:
    limits = Limits()
    assert limits.max_file_bytes == 50 * 1024 * 1024
    assert (limits.max_member_mb, limits.max_total_mb, limits.max_ratio) == (200, 500, 100)
    assert (limits.max_rows, limits.max_cols, limits.max_string) == (100_000, 200, 32_767)
    assert limits.max_files == 5_000
    env = {"RMP_MAX_FILE_MB": "80", "RMP_MAX_ROWS": "2000", "HOME": "/x"}
    assert Limits.from_env(env).max_file_mb == 80
    assert Limits.from_env(env).max_rows == 2000
    resolved = Limits.resolve({"max_file_mb": 60, "max_cols": 300}, env)
    # The environment wins over the config, the config over the defaults.
    assert (resolved.max_file_mb, resolved.max_cols, resolved.max_rows) == (80, 300, 2000)
    assert isinstance(resolved.max_rows, int)


@pytest.mark.parametrize(
    "values, words",
    [
        ({"max_size": 1}, "unknown limit"),
        ({"max_rows": "many"}, "number"),
        ({"max_cols": 0}, "greater than 0"),
    ],
)
def test_bad_limits_are_refused(values: dict, words: str) -> None:
    with pytest.raises(LimitsError, match=words):
        Limits.from_mapping(values)


def test_every_limit_is_enforced_with_its_name(valid: Path, tmp_path: Path) -> None:
    size = valid.stat().st_size
    cases = {
        "max_file_mb": Limits(max_file_mb=size / 2 / 1024 / 1024),
        "max_members": Limits(max_members=3),
        "max_total_mb": Limits(max_total_mb=0.001),
        "max_member_mb": Limits(max_member_mb=0.0005),
        "max_rows": Limits(max_rows=1),
        "max_cols": Limits(max_cols=1),
    }
    for name, limits in cases.items():
        [error] = check_container(valid, limits).errors
        assert error.code == "too-large", name
        assert name in error.message and f"RMP_{name.upper()}" in error.message


def test_ratio_limit_applies_past_the_grace_size(valid: Path, tmp_path: Path) -> None:
    # 2 MB of one repeated string compresses far beyond 100:1; XML this regular is suspect.
    big = b'<?xml version="1.0"?><sst>' + b"<si><t>a</t></si>" * 130_000 + b"</sst>"
    path = replace_members(valid, tmp_path / "big.xlsx", {"xl/sharedStrings.xml": big})
    assert [f.code for f in check_container(path).errors] == ["zip-bomb"]
    assert check_container(path, Limits(max_ratio=10_000)).ok


def test_require_readable_raises_one_line(corpus) -> None:
    with pytest.raises(
        UnreadableWorkbook, match=r"csv\.xlsx: This file is not an RMP workbook: this is a CSV file"
    ) as exc:
        require_readable(corpus["csv"][0])
    assert exc.value.exit_code == 2
    assert exc.value.info.errors[0].code == "not-a-workbook"


def test_missing_file(tmp_path: Path) -> None:
    [error] = check_container(tmp_path / "nope.xlsx").errors
    assert error.code == "not-a-workbook" and "no such file" in error.message


@pytest.mark.parametrize(
    "head, words",
    [
        (b"a\tb\tc\n1\t2\t3\n", "tab-separated"),
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "Excel 2003 XML",
        ),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"\x00\x01\x02garbage", "not a spreadsheet"),
        (b"Name;Email\nAisha;a@x.example\n", "CSV"),
    ],
)
def test_guess_format(head: bytes, words: str) -> None:
    assert words in guess_format(head)


def test_container_findings_are_registered() -> None:
    for code in (
        "empty-file",
        "not-a-workbook",
        "corrupt-file",
        "password-protected",
        "too-large",
        "zip-bomb",
        "xml-entities",
        "macros",
    ):
        assert code in Finding.registry


def test_config_limits_table(tmp_path: Path) -> None:
    from rmp_workbook.config import load_config
    from rmp_workbook.findings import ConfigError

    good = tmp_path / "rel.toml"
    good.write_text('id = "ACME"\nname = "Acme"\n[limits]\nmax_file_mb = 80\nmax_rows = 5000\n')
    config = load_config(good)
    limits = Limits.resolve(config.limits, env={})
    assert (limits.max_file_mb, limits.max_rows, limits.max_cols) == (80, 5000, 200)
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "ACME"\nname = "Acme"\n[limits]\nmax_filesize = 80\n')
    with pytest.raises(ConfigError, match="unknown limit 'max_filesize'"):
        load_config(bad)


def test_file_count_limit() -> None:
    from rmp_workbook.container import TooManyFiles, check_file_count

    check_file_count(5_000)
    with pytest.raises(TooManyFiles, match="RMP_MAX_FILES") as exc:
        check_file_count(5_001)
    assert exc.value.exit_code == 2
    check_file_count(5_001, Limits(max_files=6_000))


def test_extent_messages_name_the_sheet(corpus, valid: Path) -> None:
    assert "sheet 'Risks' has cells across 256 columns" in (
        check_container(corpus["xls-far-cell"][0]).errors[0].message
    )
    assert "sheet 'Risks' has cells down to row 1,000,000" in (
        check_container(corpus["ods-repeat-bomb"][0]).errors[0].message
    )
    far = check_container(corpus["far-cell"][0]).errors[0].message
    assert "sheet 'Guide' has cells down to row 1,048,576" in far
    assert set(check_container(valid).extents) == {*SHEET_ORDER}


def test_binary_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsb"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.bin"/></Relationships>',
        )
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    [error] = check_container(path).errors
    assert error.code == "not-a-workbook" and ".xlsb" in error.message


def test_bad_environment_limit_names_the_variable() -> None:
    with pytest.raises(LimitsError, match=r"environment variable RMP_MAX_FILE_MB: .*number"):
        Limits.from_env({"RMP_MAX_FILE_MB": "abc"})


def test_public_api_names() -> None:
    import rmp_workbook
    from rmp_workbook import container, feedback

    assert rmp_workbook.check_container is container.check_container
    assert rmp_workbook.Limits is container.Limits
    assert rmp_workbook.write_feedback is feedback.write_feedback
    assert {"check_container", "Limits", "write_feedback"} <= set(rmp_workbook.__all__)
