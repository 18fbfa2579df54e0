# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""--log / --log-format / --debug, as runc has them.

Errors and warnings always go to stderr as one line. With --log they are
also appended to that file, as logrus-style text or as JSON lines
({"level", "msg", "time"}), which is what tools like podman parse.
"""

import posix  # os without os.py: runtime/pathlite.py says why
import sys
import time

from ..errors import RuntimeFailure


class Logger(object):
    def __init__(self):
        self.path = None
        self.format = "text"
        self.debug_enabled = False

    def configure(self, path, fmt, debug):
        if fmt not in ("text", "json"):
            raise RuntimeFailure("--log-format must be text or json, not %r" % fmt)
        self.path, self.format, self.debug_enabled = path, fmt, bool(debug)

    def _write_file(self, level, msg):
        if not self.path:
            return
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        from ..standalone.jsonlite import dumps
        if self.format == "json":
            line = dumps({"level": level, "msg": msg, "time": now})
        else:
            line = 'time="%s" level=%s msg=%s' % (now, level, dumps(msg))
        try:
            fd = posix.open(self.path, posix.O_WRONLY | posix.O_APPEND | posix.O_CREAT | posix.O_CLOEXEC, 0o644)
            try:
                posix.write(fd, (line + "\n").encode("utf-8"))
            finally:
                posix.close(fd)
        except OSError:
            pass

    def error(self, msg):
        msg = " ".join(str(msg).split("\n"))
        self._write_file("error", msg)
        sys.stderr.write("oci-runtime: %s\n" % msg)

    def warn(self, msg):
        self._write_file("warning", msg)
        sys.stderr.write("oci-runtime: warning: %s\n" % msg)

    def debug(self, msg):
        if self.debug_enabled:
            self._write_file("debug", msg)
            sys.stderr.write("oci-runtime: debug: %s\n" % msg)
