"""Facts about this machine and its processes, read from /proc and the file system, and the
small process and network helpers every target shares: a free loopback port, starting a
server with its output in a log file, waiting for an HTTP health check, stopping it by its
PID (SIGTERM, then SIGKILL after a timeout), and the bytes a directory holds on disk.

The parse_* functions are pure (unit-tested in test_compare.py); the rest read the live
system. Nothing here is thread-safe or needs to be: the orchestrator is one thread.
"""

import http.client
import os
import signal
import socket
import subprocess
import time


class BenchError(Exception):
    """A step of the benchmark failed; the message names the target and the step."""


# ---- /proc parsing (pure)


def parse_proc_stat_cpu(text):
    """(busy_seconds, total_seconds) of the machine from the `cpu` line of /proc/stat.

    Busy is everything but idle and iowait; USER_HZ is taken as os.sysconf's CLK_TCK.
    """
    hz = os.sysconf("SC_CLK_TCK")
    for line in text.splitlines():
        if line.startswith("cpu "):
            fields = [int(x) for x in line.split()[1:]]
            # user nice system idle iowait irq softirq steal guest guest_nice; guest time is
            # already counted in user (and guest_nice in nice), so only the first 8 count.
            fields = (fields + [0] * 8)[:8]
            idle = fields[3] + fields[4]
            total = sum(fields)
            return (total - idle) / hz, total / hz
    raise ValueError("no 'cpu ' line in /proc/stat")


def parse_pid_stat_cpu(text):
    """utime + stime of /proc/PID/stat, in seconds (all threads, no children)."""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    hz = os.sysconf("SC_CLK_TCK")
    return (int(rest[11]) + int(rest[12])) / hz


def parse_pid_status_memory(text):
    """{'peak_rss_bytes': VmHWM, 'rss_bytes': VmRSS} from /proc/PID/status."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            parts = value.split()
            n = int(parts[0]) * (1024 if len(parts) > 1 and parts[1] == "kB" else 1)
            out["peak_rss_bytes" if key == "VmHWM" else "rss_bytes"] = n
    return out


def parse_loadavg(text):
    """The 1, 5 and 15 minute load averages of /proc/loadavg."""
    return [float(x) for x in text.split()[:3]]


# ---- live readers


def _read(path):
    with open(path, encoding="ascii", errors="replace") as f:
        return f.read()


def machine_cpu():
    return parse_proc_stat_cpu(_read("/proc/stat"))


def process_cpu_seconds(pid):
    return parse_pid_stat_cpu(_read(f"/proc/{pid}/stat"))


def process_memory(pid):
    return parse_pid_status_memory(_read(f"/proc/{pid}/status"))


def loadavg():
    return parse_loadavg(_read("/proc/loadavg"))


def own_cpu_seconds():
    """CPU seconds of this process and its waited-for children (the load generator)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def machine_facts():
    facts = {"cores": os.cpu_count(), "kernel": os.uname().release}
    try:
        for line in _read("/proc/meminfo").splitlines():
            if line.startswith("MemTotal:"):
                facts["mem_total_bytes"] = int(line.split()[1]) * 1024
        for line in _read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                facts["cpu_model"] = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    return facts


def dir_bytes(path):
    """{'apparent': sum of file sizes, 'allocated': blocks on disk, 'files': n} under path.

    Hard-linked files count once. 'allocated' is what `du` reports: it does not count the
    unwritten parts of sparse or preallocated files (InfluxDB preallocates 4 MiB series
    segments, of which only a few KiB are written here), so it is the figure we report.
    """
    seen = set()
    apparent = allocated = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                st = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue  # removed while we walked (a merge finishing)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            files += 1
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return {"apparent": apparent, "allocated": allocated, "files": files}


def dir_breakdown(path):
    """Allocated bytes per top-level entry of path (for the JSON report)."""
    out = {}
    try:
        entries = sorted(os.listdir(path))
    except OSError:
        return out
    for name in entries:
        p = os.path.join(path, name)
        if os.path.isdir(p) and not os.path.islink(p):
            out[name] = dir_bytes(p)["allocated"]
        else:
            try:
                out[name] = os.lstat(p).st_blocks * 512
            except FileNotFoundError:
                pass
    return out


# ---- processes and ports


def free_port():
    """A free TCP port on 127.0.0.1 (bound with port 0, read back, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=20):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class Server:
    """One started server process: its PID, its log file, and how it is stopped."""

    def __init__(self, name, argv, log_path, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
            )
        except OSError as e:
            self._log.close()
            raise BenchError(f"{name}: start: cannot run {argv[0]}: {e}") from e
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def wait_http(self, port, path, timeout_s=60, ok=(200, 204)):
        """Polls GET http://127.0.0.1:port/path until it answers one of `ok`."""
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            if not self.alive():
                raise BenchError(
                    f"{self.name}: start: exited with status {self.proc.returncode}; "
                    f"log {self.log_path}:\n{tail(self.log_path)}"
                )
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                c.close()
                if r.status in ok:
                    return
                last = f"HTTP {r.status}"
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        raise BenchError(
            f"{self.name}: start: GET {path} on port {port} not ready after {timeout_s} s "
            f"({last}); log {self.log_path}:\n{tail(self.log_path)}"
        )

    def stop(self, timeout_s=30):
        """SIGTERM to the PID, SIGKILL after timeout_s. Returns how it ended."""
        how = "already exited"
        if self.alive():
            how = "SIGTERM"
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                how = f"SIGKILL (still running {timeout_s} s after SIGTERM)"
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return how
