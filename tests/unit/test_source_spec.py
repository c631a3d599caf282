"""``core.sources.classify_source``: what a camera's source text means, or why it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpr_desktop.core.sources import SourceKind, classify_source


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("0", SourceKind.DEVICE, "0"),
        (" 02 ", SourceKind.DEVICE, "2"),
        ("rtsp://cam.example:554/stream1", SourceKind.RTSP, "rtsp://cam.example:554/stream1"),
        ("RTSP://10.0.0.5/live", SourceKind.RTSP, "RTSP://10.0.0.5/live"),
        ("http://10.0.0.7:8080/video.mjpg", SourceKind.HTTP, "http://10.0.0.7:8080/video.mjpg"),
        ("https://cam.example/mjpeg", SourceKind.HTTP, "https://cam.example/mjpeg"),
    ],
)
def test_devices_and_urls(text: str, kind: SourceKind, value: str) -> None:
    spec = classify_source(text)
    assert (spec.kind, spec.value) == (kind, value)


def test_files_and_folders_resolve_to_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = tmp_path / "north.mp4"
    video.write_bytes(b"\x00")
    folder = tmp_path / "drop"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    assert classify_source("north.mp4").kind is SourceKind.FILE
    assert classify_source("north.mp4").value == str(video)
    assert classify_source(str(folder)).kind is SourceKind.FOLDER
    missing = classify_source("later/east.mkv", check_paths=False)
    assert missing.kind is SourceKind.FILE and missing.value == str(tmp_path / "later/east.mkv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a source"),
        ("   ", "Enter a source"),
        ("64", "out of range"),
        ("ftp://cam.example/x", "Unsupported camera URL scheme 'ftp'"),
        ("http:///no-host", "names no host"),
        ("rtsp://cam.example:99999/x", "invalid port"),
        ("rtsp://cam\x00.example/x", "control characters"),
        ("/no/such/file.mp4", "is not a camera number"),
        ("x" * 1001, "at most 1000"),
    ],
)
def test_bad_sources_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classify_source(text)


def test_messages_and_display_never_show_a_password() -> None:
    from alpr_desktop.core.sources import display_source

    with pytest.raises(ValueError) as refused:
        classify_source("rtsp://admin:hunter2@cam.example:99999/live")
    assert "hunter2" not in str(refused.value) and "admin:***@" in str(refused.value)
    assert display_source("rtsp://admin:hunter2@cam.example/x?token=t0k") == (
        "rtsp://admin:***@cam.example/x?…"
    )
    assert display_source("http://t0ken@cam.example/mjpg") == "http://***@cam.example/mjpg"
