"""Download the SIRENE stock files with `requests`: streamed to disk, resumed after a cut, retried with backoff on
5xx and 429, checked (size, SHA-256 when known, zip CRC or parquet footer), and not fetched again when unchanged.

    python -m ingestion.download --format parquet       # both stock files into $LEADS_LANDING_DIR/sirene/
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests

from ingestion.landing import file_sha256
from ingestion.settings import load_settings
from ingestion.sources import SIRENE_RESOURCE_IDS
from ingestion.warehouse import Log, logger

# data.gouv.fr's stable resource links redirect to the current monthly file. LEADS_SIRENE_BASE_URL points elsewhere
# (a mirror, or a local server in tests).
DEFAULT_BASE_URL = "https://www.data.gouv.fr/datasets/r"
RETRYABLE_STATUS = {429, 500, 502, 503, 504}
CHUNK = 1 << 18  # a cut loses at most this much of what was in flight


class DownloadError(Exception):
    """A download that cannot succeed by retrying; the message says which URL and what to do."""


@dataclass
class DownloadResult:
    url: str
    path: Path
    status: str  # downloaded | resumed | unchanged
    size: int
    sha256: str
    bytes_transferred: int
    duration_s: float


def sirene_stock_urls(fmt: str, base_url: str | None = None) -> dict[str, str]:
    """File name in the landing zone -> URL, for both stock files in `fmt` (zip or parquet)."""
    base = (base_url or os.environ.get("LEADS_SIRENE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    return {f"{stem}_utf8.{fmt}": f"{base}/{ids[fmt]}" for stem, ids in SIRENE_RESOURCE_IDS.items()}


def _meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".meta.json")


def _read_meta(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _retry_after(response: requests.Response, default: float) -> float:
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return default


def _check_content(path: Path, name: str) -> None:
    """The file must be what its name says: a zip whose CRCs hold, or a parquet file with both magic numbers."""
    if name.endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except zipfile.BadZipFile as exc:
            raise DownloadError(f"{name}: the downloaded file is not a valid zip ({exc})") from exc
        if bad is not None:
            raise DownloadError(f"{name}: CRC error in {bad}; the download is corrupt")
    elif name.endswith(".parquet"):
        with path.open("rb") as fh:
            head = fh.read(4)
            fh.seek(-4, os.SEEK_END)
            tail = fh.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            raise DownloadError(f"{name}: the downloaded file is not a complete parquet file")


def download(
    url: str,
    dest: Path,
    *,
    session: requests.Session | None = None,
    expected_sha256: str | None = None,
    max_attempts: int = 6,
    backoff_s: float = 2.0,
    max_backoff_s: float = 120.0,
    timeout: tuple[float, float] = (15.0, 120.0),
    log: Log = logger.info,
    sleep: Callable[[float], None] = time.sleep,
) -> DownloadResult:
    """Fetch `url` into `dest`. A partial `dest.part` is resumed with a Range request (If-Range on the ETag, so a
    file that changed meanwhile restarts from zero). The finished file replaces `dest` atomically."""
    session = session or requests.Session()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    meta_file = _meta_path(dest)
    meta = _read_meta(meta_file) if dest.exists() else {}
    part_meta_file = _meta_path(part)
    started = time.monotonic()
    transferred = 0
    resumed = complete = False

    for attempt in range(1, max_attempts + 1):
        headers = {"Accept-Encoding": "identity"}
        offset = part.stat().st_size if part.exists() else 0
        part_meta = _read_meta(part_meta_file) if offset else {}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if part_meta.get("etag") or part_meta.get("last_modified"):
                headers["If-Range"] = part_meta.get("etag") or part_meta["last_modified"]
        elif meta:
            if meta.get("etag"):
                headers["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = meta["last_modified"]
        try:
            with session.get(url, headers=headers, stream=True, timeout=timeout) as response:
                if response.status_code == 304:
                    log(f"{dest.name}: unchanged on the server since the last download")
                    return DownloadResult(url, dest, "unchanged", dest.stat().st_size, meta.get("sha256", ""), 0,
                                          time.monotonic() - started)
                if response.status_code in RETRYABLE_STATUS:
                    wait = min(_retry_after(response, backoff_s * 2 ** (attempt - 1)), max_backoff_s)
                    log(f"{dest.name}: HTTP {response.status_code} from {url}, retry {attempt}/{max_attempts} "
                        f"in {wait:.0f} s")
                    if attempt == max_attempts:
                        break
                    sleep(wait)
                    continue
                if response.status_code == 416:  # the partial file is not a prefix of the current one
                    part.unlink(missing_ok=True)
                    continue
                if response.status_code not in (200, 206):
                    raise DownloadError(
                        f"{url}: HTTP {response.status_code} {response.reason}. Check the URL "
                        f"(LEADS_SIRENE_BASE_URL or the resource id in the SIRENE schema file); retrying will not help."
                    )
                etag = response.headers.get("ETag")
                last_modified = response.headers.get("Last-Modified")
                if (response.status_code == 200 and meta and dest.exists() and etag and etag == meta.get("etag")):
                    log(f"{dest.name}: same ETag as the last download, not fetched again")
                    return DownloadResult(url, dest, "unchanged", dest.stat().st_size, meta.get("sha256", ""), 0,
                                          time.monotonic() - started)
                if response.status_code == 206:
                    resumed = True
                    mode = "ab"
                    total = _total_from_content_range(response) or None
                    log(f"{dest.name}: resuming at {offset / 1e6:,.1f} MB")
                else:
                    mode, offset = "wb", 0
                    total = int(response.headers["Content-Length"]) if "Content-Length" in response.headers else None
                part_meta_file.write_text(json.dumps({"etag": etag, "last_modified": last_modified}), "utf-8")
                written = offset
                next_report = 0.1
                with part.open(mode) as fh:
                    for chunk in response.iter_content(CHUNK):
                        fh.write(chunk)
                        written += len(chunk)
                        transferred += len(chunk)
                        if total and written / total >= next_report:
                            log(f"{dest.name}: {written / total:.0%} of {total / 1e6:,.1f} MB")
                            next_report = (int(written / total * 10) + 1) / 10
                if total is not None and written != total:
                    raise requests.exceptions.ChunkedEncodingError(
                        f"connection closed after {written} of {total} bytes"
                    )
                complete = True
                break
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            wait = min(backoff_s * 2 ** (attempt - 1), max_backoff_s)
            log(f"{dest.name}: {exc.__class__.__name__} ({exc}); retry {attempt}/{max_attempts} in {wait:.0f} s, "
                f"keeping {part.stat().st_size if part.exists() else 0:,} bytes to resume")
            if attempt == max_attempts:
                break
            sleep(wait)
    if not complete:
        raise DownloadError(
            f"{url}: gave up after {max_attempts} attempts; {part} keeps what arrived, run again to resume"
        )

    _check_content(part, dest.name)
    sha = file_sha256(part)
    if expected_sha256 and sha != expected_sha256.lower():
        part.unlink()
        raise DownloadError(f"{url}: SHA-256 {sha} differs from the expected {expected_sha256}; file discarded")
    os.replace(part, dest)
    part_meta = _read_meta(part_meta_file)
    part_meta_file.unlink(missing_ok=True)
    meta_file.write_text(json.dumps({"url": url, "size": dest.stat().st_size, "sha256": sha, **part_meta}), "utf-8")
    duration = time.monotonic() - started
    log(f"{dest.name}: {'resumed and ' if resumed else ''}downloaded {dest.stat().st_size / 1e6:,.1f} MB "
        f"in {duration:.1f} s")
    return DownloadResult(url, dest, "resumed" if resumed else "downloaded", dest.stat().st_size, sha, transferred,
                          duration)


def _total_from_content_range(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Range", "")  # bytes 100-199/200
    try:
        return int(value.rsplit("/", 1)[1])
    except (IndexError, ValueError):
        return None


def download_sirene_stock(fmt: str = "parquet", base_url: str | None = None, landing_dir: Path | None = None,
                          log: Log = logger.info, **kwargs) -> list[DownloadResult]:
    landing_dir = landing_dir or load_settings().landing_dir
    return [download(url, landing_dir / "sirene" / name, log=log, **kwargs)
            for name, url in sirene_stock_urls(fmt, base_url).items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=["zip", "parquet"], default="parquet")
    parser.add_argument("--base-url", default=None, help=f"default: $LEADS_SIRENE_BASE_URL or {DEFAULT_BASE_URL}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        for result in download_sirene_stock(args.format, args.base_url):
            print(json.dumps({**asdict(result), "path": str(result.path)}))
    except DownloadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
