"""Test data and tools for the ingest tests: real JPEG reads and a TCP forwarder.

``TcpForwarder`` stands between the application and PostgreSQL, so a test can make the
database unreachable (stop it: the port is closed and every open connection is cut)
and bring it back on the same port — what a network outage looks like to the driver.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import selectors
import socket
import threading
import uuid

import cv2
import numpy as np

from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.recognition.types import Candidate, PlateBox

READ_NAMESPACE = uuid.UUID("6f1d3c1e-7c55-4a44-9d0e-2b1f6f8a4c10")
T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def jpeg(seed: int, width: int = 96, height: int = 32) -> EncodedImage:
    """A small real JPEG whose bytes depend on ``seed`` (different seeds, different sha256)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return EncodedImage(data.tobytes(), "image/jpeg", width, height)


def read_uuid(tag: str, index: int) -> str:
    return str(uuid.uuid5(READ_NAMESPACE, f"{tag}-{index}"))


def make_read(
    index: int,
    *,
    tag: str = "t",
    camera: str = "",
    context: EncodedImage | None = None,
    crop: EncodedImage | None = None,
) -> VehicleRead:
    """Read ``index`` of series ``tag``: plate ``7ABC`` + index, two alternatives."""
    plate = f"7ABC{index:04d}"
    return VehicleRead(
        camera_name=camera,
        read_at=T0 + dt.timedelta(seconds=index),
        plate_text=plate,
        confidence=0.9,
        alternatives=(Candidate(plate.replace("B", "8"), 0.6), Candidate(plate[:-1], 0.3)),
        box=PlateBox(10, 20, 96, 32, 0.95),
        frames_voted=5,
        crop=crop if crop is not None else jpeg(index),
        context=context,
        read_uuid=read_uuid(tag, index),
    )


class TcpForwarder:
    """Forwards 127.0.0.1:``port`` to ``target``; stop() closes the port and cuts links."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.setblocking(False)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, args=(listener,), name="forwarder")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _serve(self, listener: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ, None)
        peers: dict[socket.socket, socket.socket] = {}
        try:
            while not self._stop.is_set():
                for key, _mask in selector.select(timeout=0.05):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is listener:
                        self._accept(listener, selector, peers)
                    else:
                        self._pump(sock, selector, peers)
        finally:
            for sock in [listener, *peers]:
                sock.close()
            selector.close()

    def _accept(
        self,
        listener: socket.socket,
        selector: selectors.BaseSelector,
        peers: dict[socket.socket, socket.socket],
    ) -> None:
        client, _addr = listener.accept()
        upstream = socket.create_connection(self.target)
        for a, b in ((client, upstream), (upstream, client)):
            a.setblocking(True)
            peers[a] = b
            selector.register(a, selectors.EVENT_READ, None)

    def _pump(
        self,
        sock: socket.socket,
        selector: selectors.BaseSelector,
        peers: dict[socket.socket, socket.socket],
    ) -> None:
        try:
            data = sock.recv(262144)
        except OSError:
            data = b""
        other = peers.get(sock)
        if data and other is not None:
            try:
                other.sendall(data)
                return
            except OSError:
                pass
        for s in (sock, other):
            if s is not None and s in peers:
                selector.unregister(s)
                peers.pop(s)
                s.close()


def placed_read(
    index: int,
    plate: str,
    *,
    tag: str,
    camera: str = "",
    alternatives: tuple[str, ...] = (),
    minutes: float = 0,
    at: tuple[float, float] | None = None,
    confidence: float = 0.9,
) -> VehicleRead:
    """Read ``index`` of series ``tag`` of ``plate``, ``minutes`` after T0, at ``at``."""
    return dataclasses.replace(
        make_read(index, tag=tag, camera=camera),
        plate_text=plate,
        confidence=confidence,
        alternatives=tuple(Candidate(t, 0.5) for t in alternatives),
        read_at=T0 + dt.timedelta(minutes=minutes),
        latitude=at[0] if at else None,
        longitude=at[1] if at else None,
    )
