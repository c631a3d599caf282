"""A GStreamer RTSP test server (run by tests/unit/test_sources.py with the system Python).

Usage: python3 _rtsp_server.py PORT. Serves rtsp://127.0.0.1:PORT/test (MJPEG over RTP,
10 fps) and prints "ready" once listening. Needs Debian's gir1.2-gst-rtsp-server-1.0,
gstreamer1.0-plugins-good and python3-gi.
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_service(sys.argv[1])
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=ball ! "
    "video/x-raw,width=320,height=240,framerate=10/1,format=I420 ! "
    "jpegenc ! rtpjpegpay name=pay0 pt=26 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory("/test", factory)
server.attach(None)
print("ready", flush=True)
GLib.MainLoop().run()
