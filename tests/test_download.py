"""The SIRENE downloader against a local HTTP server: resume, retry with backoff, unchanged files, integrity."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from werkzeug import Request, Response

from ingestion.download import DownloadError, download, download_sirene_stock, sirene_stock_urls
from ingestion.sources import SIRENE_RESOURCE_IDS


def _zip_bytes(size_rows: int = 250_000) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # stored: the body is big enough to cut
        archive.writestr("StockUniteLegale_utf8.csv",
                         "siren,etat\n" + "".join(f"{i:09d},A\n" for i in range(size_rows)))
    return buffer.getvalue()


class FakeFileServer:
    """Serves one file with an ETag, Range and If-Range, If-None-Match; `script` scripts the next responses."""

    def __init__(self, data: bytes, etag: str = '"v1"'):
        self.data, self.etag = data, etag
        self.script: list[str] = []
        self.requests: list[dict] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(dict(request.headers))
        action = self.script.pop(0) if self.script else "ok"
        if action in ("503", "429"):
            headers = {"Retry-After": "1"} if action == "429" else {}
            return Response("busy", status=int(action), headers=headers)
        if request.headers.get("If-None-Match") == self.etag:
            return Response(status=304, headers={"ETag": self.etag})
        start = 0
        range_header = request.headers.get("Range")
        if range_header and request.headers.get("If-Range", self.etag) == self.etag:
            start = int(range_header.split("=")[1].split("-")[0])
        body = self.data[start:]
        headers = {"ETag": self.etag, "Accept-Ranges": "bytes", "Content-Length": str(len(body))}
        status = 200
        if start:
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(self.data) - 1}/{len(self.data)}"
        if action == "cut":  # the connection drops after half of the body
            half = body[: len(body) // 2]

            def stream():
                yield half
                raise ConnectionResetError("cut")

            return Response(stream(), status=status, headers=headers, direct_passthrough=True)
        return Response(body, status=status, headers=headers)


@pytest.fixture
def served(httpserver):
    fake = FakeFileServer(_zip_bytes())
    httpserver.expect_request("/datasets/r/ul").respond_with_handler(fake)
    return fake, httpserver.url_for("/datasets/r/ul")


def _no_sleep(waits):
    return waits.append


def test_downloads_checks_and_records_the_file(served, tmp_path):
    fake, url = served
    dest = tmp_path / "StockUniteLegale_utf8.zip"
    result = download(url, dest, log=lambda _: None)
    assert result.status == "downloaded" and dest.read_bytes() == fake.data
    meta = json.loads((tmp_path / "StockUniteLegale_utf8.zip.meta.json").read_text())
    assert meta["etag"] == '"v1"' and meta["size"] == len(fake.data) and meta["sha256"] == result.sha256
    assert not (tmp_path / "StockUniteLegale_utf8.zip.part").exists()


def test_an_unchanged_file_is_not_downloaded_again(served, tmp_path):
    fake, url = served
    dest = tmp_path / "StockUniteLegale_utf8.zip"
    download(url, dest, log=lambda _: None)
    second = download(url, dest, log=lambda _: None)
    assert second.status == "unchanged" and second.bytes_transferred == 0
    assert fake.requests[-1]["If-None-Match"] == '"v1"'


def test_a_cut_connection_resumes_where_it_stopped(served, tmp_path):
    fake, url = served
    fake.script = ["cut"]
    waits: list[float] = []
    dest = tmp_path / "StockUniteLegale_utf8.zip"
    result = download(url, dest, log=lambda _: None, sleep=waits.append, timeout=(5, 5))
    assert result.status == "resumed" and dest.read_bytes() == fake.data
    offset = int(fake.requests[1]["Range"].split("=")[1].rstrip("-"))
    assert 0 < offset < len(fake.data) and fake.requests[1]["If-Range"] == '"v1"'
    assert result.bytes_transferred == len(fake.data)  # nothing fetched twice


def test_a_file_changed_on_the_server_during_resume_restarts_from_zero(served, tmp_path):
    fake, url = served
    fake.script = ["cut"]
    dest = tmp_path / "StockUniteLegale_utf8.zip"
    with pytest.raises(DownloadError, match="run again to resume"):
        download(url, dest, log=lambda _: None, sleep=lambda _: None, max_attempts=1, timeout=(5, 5))
    fake.data, fake.etag = _zip_bytes(260_000), '"v2"'
    result = download(url, dest, log=lambda _: None, sleep=lambda _: None)
    assert result.status == "downloaded" and dest.read_bytes() == fake.data


def test_5xx_and_429_are_retried_with_backoff_and_retry_after(served, tmp_path):
    fake, url = served
    fake.script = ["503", "429", "503"]
    waits: list[float] = []
    result = download(url, tmp_path / "StockUniteLegale_utf8.zip", log=lambda _: None, sleep=waits.append,
                      backoff_s=2.0)
    assert result.status == "downloaded"
    assert waits == [2.0, 1.0, 8.0]  # exponential backoff; the 429's Retry-After wins


def test_gives_up_after_the_last_attempt_and_says_so(served, tmp_path):
    fake, url = served
    fake.script = ["503"] * 3
    with pytest.raises(DownloadError, match="gave up after 3 attempts"):
        download(url, tmp_path / "StockUniteLegale_utf8.zip", log=lambda _: None, sleep=lambda _: None,
                 max_attempts=3)


def test_a_missing_resource_fails_at_once_with_the_url(httpserver, tmp_path):
    httpserver.expect_request("/datasets/r/gone").respond_with_data("not found", status=404)
    url = httpserver.url_for("/datasets/r/gone")
    with pytest.raises(DownloadError, match="HTTP 404") as err:
        download(url, tmp_path / "x.zip", log=lambda _: None, sleep=lambda _: None)
    assert url in str(err.value)


def test_a_corrupt_archive_or_wrong_checksum_is_never_installed(httpserver, tmp_path):
    httpserver.expect_request("/datasets/r/bad").respond_with_data(b"PK\x03\x04 not really a zip")
    dest = tmp_path / "StockUniteLegale_utf8.zip"
    with pytest.raises(DownloadError, match="not a valid zip"):
        download(httpserver.url_for("/datasets/r/bad"), dest, log=lambda _: None)
    assert not dest.exists()
    httpserver.expect_request("/datasets/r/pq").respond_with_data(b"PAR1....PAR1")
    with pytest.raises(DownloadError, match="differs from the expected"):
        download(httpserver.url_for("/datasets/r/pq"), tmp_path / "x.parquet", expected_sha256="0" * 64,
                 log=lambda _: None)
    assert not (tmp_path / "x.parquet").exists()


def test_both_stock_files_come_from_their_data_gouv_resource_ids(httpserver, tmp_path):
    for stem, ids in SIRENE_RESOURCE_IDS.items():
        httpserver.expect_request(f"/r/{ids['parquet']}").respond_with_data(b"PAR1" + stem.encode() + b"PAR1")
    results = download_sirene_stock("parquet", base_url=httpserver.url_for("/r"), landing_dir=tmp_path,
                                    log=lambda _: None)
    assert sorted(p.name for p in (tmp_path / "sirene").glob("*.parquet")) == [
        "StockEtablissement_utf8.parquet", "StockUniteLegale_utf8.parquet"]
    assert all(r.status == "downloaded" for r in results)
    assert sirene_stock_urls("zip")["StockUniteLegale_utf8.zip"].startswith("https://www.data.gouv.fr/datasets/r/")
