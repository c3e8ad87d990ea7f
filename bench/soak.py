"""`make soak`: mixed load through nginx while replicas restart; counts and RSS into a report.

    soak.py EDGE ADMIN_PASSWORD LOCAL_DIR DATASETS SECONDS RESTART_EVERY RESULT_JSON
    soak.py report RESULT_JSON DOC

Load, each in its own thread on keep-alive connections: predictions (4 threads), logins (1),
the product's path (upload a fresh variant of penguins → preprocess → train → promote, 1).
Chaos: every RESTART_EVERY seconds the second replica of the next role is stopped (SIGTERM) and
started again; once, at mid-run, the second train replica is killed (SIGKILL) instead. Every
5 s the RSS of every process is read from /proc. At the end every submitted job must have
finished: a job still pending or running 120 s after the load stopped is lost.
"""
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlparse

from doc_section import replace_section

ROLES = ["predict", "auth", "data", "train"]
RECORD = {"island": "Biscoe", "bill_length_mm": 48.6, "bill_depth_mm": 16.0, "flipper_length_mm": 230.0,
          "body_mass_g": 5800.0, "sex": "male", "year": 2009}


class Edge:
    """One keep-alive connection to nginx per thread."""

    def __init__(self, url):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.connection = None

    def call(self, method, path, body=None, token=None, content_type="application/json"):
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = content_type
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=90)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, data
            except (http.client.HTTPException, OSError):
                # nginx closed an idle keep-alive connection: one reconnect, as any client does.
                self.connection.close()
                self.connection = None
                if attempt == 1:
                    return 0, b""
        return 0, b""


class Soak:
    def __init__(self, edge, password, local_dir, datasets, seconds, restart_every):
        self.edge, self.password, self.local_dir = edge, password, local_dir
        self.seconds, self.restart_every = seconds, restart_every
        self.penguins = open(os.path.join(datasets, "penguins.csv"), "rb").read()
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = Counter()          # (kind, status) -> requests
        self.failures = []               # (t, kind, status): 5xx or no answer
        self.kill_windows = []           # (start, end) seconds since start
        self.restarts = []               # (t, instance, how)
        self.jobs = []                   # (role, job id)
        self.rss = {}                    # instance -> [(t, kB)]
        self.token = None

    def now(self):
        return time.monotonic() - self.started

    def record(self, kind, status):
        t = self.now()
        with self.lock:
            self.counts[(kind, status)] += 1
            if status == 0 or status >= 500:
                self.failures.append((t, kind, status))

    def login(self, edge):
        status, body = edge.call("POST", "/api/v1/auth/login", {"username": "admin", "password": self.password})
        return json.loads(body)["access_token"] if status == 200 else None

    # Load.
    def predictions(self):
        edge = Edge(self.edge)
        while not self.stop.is_set():
            status, _ = edge.call("POST", "/api/v1/predict", {"features": RECORD}, token=self.token)
            self.record("predict", status)

    def logins(self):
        edge = Edge(self.edge)
        while not self.stop.is_set():
            status, body = edge.call("POST", "/api/v1/auth/login", {"username": "admin", "password": self.password})
            self.record("login", status)
            if status == 200:
                self.token = json.loads(body)["access_token"]
            self.stop.wait(0.5)

    def wait_job(self, edge, role, job_id):
        while not self.stop.is_set():
            status, body = edge.call("GET", f"/api/v1/{role}/status/{job_id}", token=self.token)
            self.record("status", status)
            if status == 200 and json.loads(body)["status"] not in ("pending", "running"):
                return json.loads(body)
            self.stop.wait(0.25)
        return None

    def pipeline(self):
        edge = Edge(self.edge)
        cycle = 0
        while not self.stop.is_set():
            cycle += 1
            # A new dataset each time: one more row, with a value no other cycle uses.
            variant = self.penguins.rstrip(b"\n") + f"\nAdelie,Torgersen,{30 + cycle / 1000:.3f},18.0,190,3700,female,2009\n".encode()
            status, body = edge.call("POST", f"/api/v1/data/datasets?name=soak-{cycle}", variant, token=self.token, content_type="text/csv")
            self.record("upload", status)
            if status != 201:
                self.stop.wait(1)
                continue
            dataset = json.loads(body)["id"]
            status, body = edge.call("POST", "/api/v1/data/preprocess", {"dataset_id": dataset, "target": "species"}, token=self.token)
            self.record("submit", status)
            if status != 202:
                continue
            job_id = json.loads(body)["job_id"]
            with self.lock:
                self.jobs.append(("data", job_id))
            job = self.wait_job(edge, "data", job_id)
            if not job or job["status"] != "completed":
                continue
            status, body = edge.call("POST", "/api/v1/train", {
                "processed_version": job["result"]["version"], "experiment_name": "soak",
                "model_types": ["logistic_regression", "decision_tree"], "metric": "accuracy",
            }, token=self.token)
            self.record("submit", status)
            if status != 202:
                continue
            job_id = json.loads(body)["job_id"]
            with self.lock:
                self.jobs.append(("train", job_id))
            job = self.wait_job(edge, "train", job_id)
            if job and job["status"] == "completed":
                status, _ = edge.call("POST", "/api/v1/train/fetch-best-model", {"experiment_name": "soak", "metric": "accuracy"}, token=self.token)
                self.record("promote", status)

    # Chaos and measurement.
    def pid(self, instance):
        try:
            return int(open(os.path.join(self.local_dir, "run", f"{instance}.pid")).read())
        except (OSError, ValueError):
            return None

    def chaos(self):
        turn = 0
        kill_at = self.seconds / 2
        killed = False
        while not self.stop.wait(self.restart_every):
            if self.now() > self.seconds - self.restart_every:
                break
            role = ROLES[turn % len(ROLES)]
            turn += 1
            if not killed and self.now() >= kill_at:
                role, how, sig, killed = "train", "SIGKILL", signal.SIGKILL, True
            else:
                how, sig = "SIGTERM", signal.SIGTERM
            instance = f"{role}-2"
            pid = self.pid(instance)
            if pid is None:
                continue
            start = self.now()
            os.kill(pid, sig)
            while self.alive(pid):
                time.sleep(0.05)
            # An unreaped child still answers kill -0: the pid file goes, so that `up` starts it.
            os.remove(os.path.join(self.local_dir, "run", f"{instance}.pid"))
            subprocess.run(["deploy/local.sh", "up"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with self.lock:
                self.restarts.append((round(start, 1), instance, how))
                if how == "SIGKILL":
                    # Requests in flight on the killed process fail; nginx needs a moment to notice.
                    self.kill_windows.append((start - 1, self.now() + 5))

    @staticmethod
    def alive(pid):
        """Running, as opposed to gone or a zombie nobody reaped."""
        try:
            return open(f"/proc/{pid}/stat").read().split()[2] != "Z"
        except (OSError, IndexError):
            return False

    def sample_rss(self):
        while True:
            for name in sorted(os.listdir(os.path.join(self.local_dir, "run"))):
                instance = name[:-4]
                pid = self.pid(instance)
                try:
                    status = open(f"/proc/{pid}/status").read()
                except (OSError, TypeError):
                    continue
                # A process killed but not yet reaped has no resident set to report.
                rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), None)
                if rss is not None:
                    self.rss.setdefault(instance, []).append((round(self.now(), 1), rss, pid))
            if self.stop.wait(5):
                return

    def run(self):
        self.token = self.login(Edge(self.edge))
        threads = [threading.Thread(target=self.predictions) for _ in range(4)]
        threads += [threading.Thread(target=self.logins), threading.Thread(target=self.pipeline),
                    threading.Thread(target=self.chaos), threading.Thread(target=self.sample_rss)]
        for thread in threads:
            thread.start()
        time.sleep(self.seconds)
        self.stop.set()
        for thread in threads:
            thread.join()
        # Every job submitted must finish, whichever replica ends up running it.
        edge, lost, deadline = Edge(self.edge), [], time.monotonic() + 120
        states = Counter()
        for role, job_id in self.jobs:
            while True:
                status, body = edge.call("GET", f"/api/v1/{role}/status/{job_id}", token=self.token)
                state = json.loads(body)["status"] if status == 200 else f"http {status}"
                if state not in ("pending", "running") or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            states[state] += 1
            if state in ("pending", "running") or state.startswith("http"):
                lost.append(job_id)
        # Classified at the end: a kill's window is known only once its replica is back.
        outside = Counter((kind, status) for t, kind, status in self.failures
                          if not any(a <= t <= b for a, b in self.kill_windows))
        return {
            "seconds": self.seconds, "restart_every": self.restart_every,
            "counts": {f"{k} {s}": n for (k, s), n in sorted(self.counts.items())},
            "errors_outside_kill": {f"{k} {s}": n for (k, s), n in sorted(outside.items())},
            "restarts": self.restarts, "jobs": dict(states), "lost_jobs": lost, "rss": self.rss,
        }


def report(result_file, doc):
    r = json.load(open(result_file))
    counts = Counter()
    for key, n in r["counts"].items():
        kind, status = key.rsplit(" ", 1)
        counts[(kind, int(status))] += n
    kinds = sorted({k for k, _ in counts})
    total = sum(counts.values())
    lines = [
        "## Soak",
        "",
        f"`make soak` (`bench/soak.sh`), {time.strftime('%Y-%m-%d')}, 2 cores: the release binary in the `make local-ha`",
        "topology (two processes of every role on PostgreSQL, nginx) for "
        f"{r['seconds']} s of mixed load: 4 threads predicting, one logging in every 0.5 s, one walking the product's",
        "path (upload a new dataset → preprocess → train two models → promote). Every "
        f"{r['restart_every']} s the second replica of the next role is stopped (SIGTERM) and started again; once, at",
        "mid-run, the second train replica is killed (SIGKILL) instead.",
        "",
        "| requests | " + " | ".join(kinds) + " | all |",
        "|---|" + "---|" * (len(kinds) + 1),
    ]
    statuses = sorted({s for _, s in counts})
    for status in statuses:
        label = "no answer" if status == 0 else str(status)
        lines.append(f"| {label} | " + " | ".join(f"{counts[(k, status)]:,}" for k in kinds) + f" | {sum(counts[(k, status)] for k in kinds):,} |")
    lines.append(f"| **total** | " + " | ".join(f"{sum(n for (k2, _), n in counts.items() if k2 == k):,}" for k in kinds) + f" | {total:,} |")
    outside = sum(r["errors_outside_kill"].values())
    lines += [
        "",
        f"5xx or no answer outside the SIGKILL's window: **{outside}** "
        + (f"({', '.join(f'{k}: {n}' for k, n in r['errors_outside_kill'].items())})" if outside else "")
        + f"; restarts: {len(r['restarts'])} ({sum(1 for x in r['restarts'] if x[2] == 'SIGKILL')} SIGKILL).",
        f"Jobs: {sum(r['jobs'].values())} submitted, " + ", ".join(f"{n} {s}" for s, n in sorted(r["jobs"].items()))
        + f"; lost: **{len(r['lost_jobs'])}**.",
        "",
        "Resident memory of the processes that ran the whole time (the first replica of each role), after",
        "warm-up (the first sample past a fifth of the run) and at the end:",
        "",
        "| process | after warm-up | end | max | drift |",
        "|---|---|---|---|---|",
    ]
    for instance, samples in sorted(r["rss"].items()):
        if instance.endswith("-2") or instance == "nginx":
            continue
        pids = {pid for _, _, pid in samples}
        if len(pids) != 1:
            continue
        warm = next((s for s in samples if s[0] >= r["seconds"] / 5), samples[0])
        end = samples[-1]
        peak = max(s[1] for s in samples)
        drift = (end[1] - warm[1]) / warm[1] * 100
        lines.append(f"| {instance} | {warm[1] / 1024:.0f} MiB | {end[1] / 1024:.0f} MiB | {peak / 1024:.0f} MiB | {drift:+.1f}% |")
    replace_section(doc, "soak", lines)


if __name__ == "__main__":
    if sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        edge, password, local_dir, datasets, seconds, restart_every, out = sys.argv[1:8]
        result = Soak(edge, password, local_dir, datasets, int(seconds), int(restart_every)).run()
        json.dump(result, open(out, "w"))
        print(json.dumps({k: v for k, v in result.items() if k != "rss"}, indent=1))
