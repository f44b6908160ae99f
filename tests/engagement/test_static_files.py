"""Static files ship whole: collectstatic with the production (manifest) storage succeeds, and no
file names a source map that is not shipped (the manifest storage aborts on one, and every page
then answers 500 in production)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.engagement.test_settings import PRODUCTION, ROOT, run_manage

SOURCE_MAP = re.compile(rb"[#@] sourceMappingURL=(\S+)")


def test_no_static_file_names_a_missing_source_map():
    missing = []
    for path in (ROOT / "engagement" / "static").rglob("*"):
        if path.suffix not in (".js", ".css") or not path.is_file():
            continue
        for found in SOURCE_MAP.finditer(path.read_bytes()):
            target = found.group(1).decode()
            if not target.startswith("data:") and not (path.parent / target).exists():
                missing.append(f"{path.relative_to(ROOT)} → {target}")
    assert not missing, missing


def test_collectstatic_with_the_manifest_storage(tmp_path: Path):
    result = run_manage(
        "collectstatic", "--noinput", env={**PRODUCTION, "DJANGO_STATIC_ROOT": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    assert "dashboard/vendor/chart.umd.min.js" in manifest["paths"]
    hashed = manifest["paths"]["dashboard/vendor/chart.umd.min.js"]
    assert (tmp_path / (hashed + ".gz")).exists()  # compressed too (WhiteNoise)
