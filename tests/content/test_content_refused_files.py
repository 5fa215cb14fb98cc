"""Issue folders that hold something other than text files, and brand names that point elsewhere (a9 findings 3, 4).

A FIFO named ``sl.yaml`` made ``check`` (and every page that lists issues)
wait forever for a writer; a link to ``/dev/zero`` read until the size cap.
Each is now refused from ``fstat`` before a byte is read. A ``brand:``
value that fails validation (``../../tmp/secret.yaml``, ``/etc/hostname``)
was opened anyway and its values echoed in the errors; it is now never
opened, and a brand file that is a link to a file outside its folder is
refused.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.errors import ContentError

from test_content_hostile import HEAD, run_limited

CORPUS = Path(__file__).parent / "corpus"
SECRET = 'name: Secret\nprimary_color: "S3CRET-TOKEN"\n'
NOT_REGULAR = (
    "error: the file is not a regular file (a pipe, device or socket)\n"
    "    hint: an issue file is a text file; remove this one or replace it with the real file\n"
)


def _problems(folder: Path, settings: Settings) -> str:
    with pytest.raises(ContentError) as info:
        load_issue(folder, settings)
    return "\n".join(p.format() for p in info.value.problems)


def test_a_fifo_named_like_an_edition_is_refused_without_waiting(tmp_path):
    # Before: `check` blocked in open() until something wrote to the pipe (the guard below fails it).
    issue = tmp_path / "issue"
    issue.mkdir()
    os.mkfifo(issue / "sl.yaml")
    result = run_limited(["check", "issue"], tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == "issue/sl.yaml: " + NOT_REGULAR + "error: issue: 1 error in the issue files\n"


def test_a_link_to_a_device_is_refused_before_reading(tmp_path):
    issue = tmp_path / "issue"
    issue.mkdir()
    (issue / "sl.yaml").symlink_to("/dev/zero")
    assert _problems(issue, Settings(newsletters_dir=tmp_path)) == "issue/sl.yaml: ".replace("issue/", f"{issue}/") + NOT_REGULAR.rstrip("\n")


def test_a_folder_named_like_an_edition_is_a_located_problem(tmp_path):
    issue = tmp_path / "issue"
    (issue / "sl.yaml").mkdir(parents=True)
    text = _problems(issue, Settings(newsletters_dir=tmp_path))
    assert text.startswith(f"{issue}/sl.yaml: error: ") and "Traceback" not in text


def _issue_naming(tmp_path: Path, brand: str) -> Path:
    newsletters = tmp_path / "newsletters"
    issue = newsletters / "issue"
    issue.mkdir(parents=True)
    for lang in ("sl", "en"):
        (issue / f"{lang}.yaml").write_text(HEAD.replace("language: sl", f"language: {lang}") + f"brand: {brand}\nsections: []\n", encoding="utf-8")
    return issue


@pytest.mark.parametrize("brand", ["../../../../../../../../{secret}", "{secret}", "/etc/hostname", "../brand.yaml", "sub/brand.yaml"])
def test_an_invalid_brand_value_is_never_opened(tmp_path, brand):
    # Before: the file was read and its values echoed ("'primary_color' has an invalid value 'S3CRET-TOKEN'").
    secret = tmp_path / "a9-secret.yaml"
    secret.write_text(SECRET, encoding="utf-8")
    issue = _issue_naming(tmp_path, brand.format(secret=secret))
    newsletters = issue.parent
    (newsletters / "sub").mkdir()
    (newsletters / "sub" / "brand.yaml").write_text(SECRET, encoding="utf-8")
    shutil.copy(secret, tmp_path / "brand.yaml")  # what ../brand.yaml would reach
    text = _problems(issue, Settings(newsletters_dir=newsletters))
    assert "S3CRET" not in text and "hostname" not in text.split("'brand' has an invalid value")[0]
    assert "'brand' has an invalid value" in text
    assert all(line.startswith(str(issue)) for line in text.splitlines() if ": error: " in line)


def test_a_brand_file_that_links_outside_its_folder_is_refused(tmp_path):
    secret = tmp_path / "a9-secret.yaml"
    secret.write_text(SECRET, encoding="utf-8")
    issue = _issue_naming(tmp_path, "brand-x.yaml")
    (issue.parent / "brand-x.yaml").symlink_to(secret)
    text = _problems(issue, Settings(newsletters_dir=issue.parent))
    assert "S3CRET" not in text
    assert f"{issue}/sl.yaml:7:8: error: the brand file 'brand-x.yaml' is a link to a file outside {issue.parent} (brand)" in text
