"""Helpers for the browser test: a private JupyterLab server, Chromium from Debian's
packages driven by Playwright, and what a page of JupyterLab shows after "Run All Cells".

Nothing here downloads a browser: Chromium is Debian's (``/usr/bin/chromium``), and
``ensure_chromium`` installs it with apt only when it is missing and we are root.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
NBGRADER_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                              "nbgrader.server_extensions.assignment_list",
                              "nbgrader.server_extensions.validate_assignment")
NBGRADER_LAB_EXTENSION = "@jupyter/nbgrader"

# JupyterLab settings for a quiet, fully rendered page: every cell in the DOM (no
# virtual scrolling), no news or update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


class BrowserSetupError(RuntimeError):
    """Chromium or Playwright is missing and can't be provided: the test must fail."""


# ----------------------------------------------------------------------------- chromium

def ensure_chromium(timeout=900):
    """The path of Debian's Chromium, installed with apt-get if missing and we are root.
    Raises BrowserSetupError with what to do otherwise."""
    if CHROMIUM.exists():
        return CHROMIUM
    how = ("install it with `apt-get update && apt-get install -y chromium` (Debian's package; "
           "never `playwright install`), then run the tests again")
    if os.geteuid() != 0:
        raise BrowserSetupError(f"{CHROMIUM} is missing and we are not root, so the test can't "
                                f"install it: {how}")
    if shutil.which("apt-get") is None:
        raise BrowserSetupError(f"{CHROMIUM} is missing and there is no apt-get here: {how}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        if proc.returncode != 0:
            raise BrowserSetupError(f"`{' '.join(cmd)}` failed ({proc.returncode}):\n"
                                    f"{proc.stderr[-2000:]}\n{how}")
    if not CHROMIUM.exists():
        raise BrowserSetupError(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return CHROMIUM


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


# ----------------------------------------------------------------------------- jupyterlab

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """``python -m jupyter lab`` on 127.0.0.1, a free port and a random token, serving
    ``root``; its settings and workspaces live in ``state`` (a fresh folder)."""

    def __init__(self, root, state, token):
        self.root, self.state, self.token = Path(root), Path(state), token
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = self.state / "jupyterlab.log"
        self.proc = None

    def start(self, timeout=90):
        settings = self.state / "user-settings"
        for name, value in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
               f"--ServerApp.token={self.token}", "--ServerApp.ip=127.0.0.1",
               f"--port={self.port}", "--ServerApp.port_retries=0",
               f"--ServerApp.root_dir={self.root}",
               f"--LabApp.user_settings_dir={settings}",
               f"--LabApp.workspaces_dir={self.state / 'workspaces'}",
               "--ServerApp.terminals_enabled=False"]
        if os.geteuid() == 0:  # CI containers run as root
            cmd.append("--allow-root")
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                     f"{os.environ.get('PATH', '')}",
               "MPLBACKEND": "module://matplotlib_inline.backend_inline",
               "JUPYTER_RUNTIME_DIR": str(self.state / "runtime")}
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.root, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited ({self.proc.returncode}):\n"
                                   f"{self.log_text()[-3000:]}")
            try:
                if self.get("/api/status").status == 200:
                    return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n"
                           f"{self.log_text()[-3000:]}")

    def get(self, path, timeout=10):
        sep = "&" if "?" in path else "?"
        return urllib.request.urlopen(f"{self.base}{path}{sep}token={self.token}",
                                      timeout=timeout)

    def url(self, path):
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def log_text(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self):
        """Stop the server we started (and its kernels: its own process group)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # jupyter's clean shutdown: kernels too
            time.sleep(0.2)
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything of ours still left
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.log.close()


def loaded_server_extensions(log_text):
    """Names of the server extensions the server's log says it loaded."""
    return set(re.findall(r"(\S+) \| extension was successfully loaded", log_text))


# ----------------------------------------------------------------------------- notebooks

def cell_sources(path):
    """The source of every cell of a notebook file, with its type, in order."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list)
             else c["source"]) for c in nb["cells"]]


def creates_widget(source):
    return bool(re.search(r"\b(GraphStepper|lecture_example_stepper|Playground)\(", source))


def shows_plot(source):
    return "plt.show()" in source


# JavaScript run in the page: what every cell of the notebook shows.
CELLS_JS = r"""
() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')).map((cell, index) => {
  const prompt = cell.querySelector('.jp-InputArea-prompt') || cell.querySelector('.jp-InputPrompt');
  const stderr = Array.from(cell.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'));
  const images = Array.from(cell.querySelectorAll('.jp-OutputArea-output img'));
  return {
    index,
    code: cell.classList.contains('jp-CodeCell'),
    collapsed: cell.querySelector('.jp-InputPlaceholder') !== null,
    prompt: prompt ? prompt.textContent.trim() : '',
    stderr: stderr.map(e => e.textContent),
    errorOutputs: cell.querySelectorAll('.jp-OutputArea-output.jp-mod-error, ' +
                                        '[data-output-type="error"]').length,
    images: images.length,
    imagesDecoded: images.filter(i => i.complete && i.naturalWidth > 0).length,
    widgets: cell.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length,
    widgetButtons: cell.querySelectorAll('.widget-button').length,
    widgetSliders: cell.querySelectorAll('.widget-slider').length,
    text: (cell.querySelector('.jp-OutputArea') || {textContent: ''}).textContent.slice(0, 4000),
  };
})
"""

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w+(Error|Exception)\b.*:",
                       re.M)


def is_traceback(text):
    """A stderr output is an error (not a warning) when it holds a Python traceback."""
    return bool(TRACEBACK.search(text))
