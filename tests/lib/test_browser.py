"""What students see, in a real JupyterLab in a real browser (Chromium, driven by Playwright).

The module starts its own JupyterLab on a copy of source/ (the notebooks with solutions), opens
every notebook in a page, runs it with the menu *Run → Run All Cells* and checks in the DOM:

- every code cell ran, and no cell shows a Python traceback. Warnings are allowed: JupyterLab
  renders warnings and tracebacks alike (``.jp-RenderedText`` with the stderr MIME type), so
  a stderr output counts as an error only when it holds a traceback
  (``Traceback (most recent call last)`` or a line ``SomeError: ...``); the warnings are printed;
- every cell that calls ``plt.show()`` shows a decoded image;
- every cell that makes a widget (graph stepper, playground) shows it, and the widgets react:
  the stepper's buttons step forward and backward (its label and picture change), the
  playground's learning-rate slider moves and its train button trains (status and picture);
- nbgrader is there in the same JupyterLab: its server extensions (formgrader,
  assignment_list, validate_assignment) are loaded by this server, the lab page loads the
  ``@jupyter/nbgrader`` labextension (its *Nbgrader* menu and *Validate* button), and the
  Validate button validates a notebook.

Screenshots go to artifacts/screenshots/ (ignored by git); the stepper's and the playground's
are copied to docs/ for the README. Chromium is Debian's package (``/usr/bin/chromium``): the
session fixture installs it with apt-get when it is missing and we are root, and otherwise the
test fails saying what to do. Nothing here runs ``playwright install``.
"""
import re
import secrets
import shutil
import time

import browser_support
import pytest
from browser_support import (
    CELLS_JS, NBGRADER_LAB_EXTENSION, NBGRADER_SERVER_EXTENSIONS, BrowserSetupError, JupyterLab,
    cell_sources, creates_widget, ensure_chromium, is_traceback, launch_chromium,
    loaded_server_extensions, shows_plot,
)
from support import ASSIGNMENTS, ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DOCS = ROOT / "docs"
RUN_TIMEOUT = 150          # seconds for one notebook's Run All (they take 5 to 20 s)
CELLS = ".jp-NotebookPanel .jp-Notebook .jp-Cell"
EXECUTED = re.compile(r"^\[\d+\]:$")


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def chromium():
    try:
        return ensure_chromium()
    except BrowserSetupError as error:
        pytest.fail(f"no browser for the browser test: {error}", pytrace=False)


@pytest.fixture(scope="module")
def browser(chromium):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: install the test extra "
                    "(pip install -e '.[test]'); the browser itself is Debian's chromium",
                    pytrace=False)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("jupyterlab")
    shutil.copytree(ROOT / "source", work / "source")
    (work / "state").mkdir()
    server = JupyterLab(work / "source", work / "state", secrets.token_urlsafe(24))
    try:
        server.start()
    except RuntimeError as error:
        server.stop()
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class RanNotebook:
    """A notebook open in its own page after Run All Cells: the page, what each cell shows
    (``cells``, from the DOM) and the cells' sources (from the file)."""

    def __init__(self, assignment, page, cells, sources, console, seconds):
        self.assignment, self.page, self.cells = assignment, page, cells
        self.sources, self.console, self.seconds = sources, console, seconds

    def cell(self, index):
        return self.page.locator(CELLS).nth(index)

    def index_of(self, pattern):
        """The index of the first cell whose source matches ``pattern``."""
        return next(i for i, (_, source) in enumerate(self.sources)
                    if re.search(pattern, source, re.M))


def wait_until_done(page, timeout=RUN_TIMEOUT):
    """Wait until Run All has started, then until the kernel is idle and no cell is queued
    or running at three polls in a row (the kernel goes idle between some cells)."""
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        cells = page.evaluate(CELLS_JS)
        status = page.get_attribute(".jp-Notebook-ExecutionIndicator", "data-status")
        prompts = [c["prompt"] for c in cells if c["code"]]
        started = any(p != "[ ]:" for p in prompts)
        running = "[*]:" in prompts
        calm = calm + 1 if started and status == "idle" and not running else 0
        if calm >= 3:
            return cells
        time.sleep(0.5)
    raise AssertionError(f"the notebook was still running after {timeout} s")


def open_and_run(browser, lab, assignment):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(lab.url(f"/lab/workspaces/{assignment}/tree/{assignment}/{assignment}.ipynb"))
    page.wait_for_selector(CELLS, timeout=60_000)
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]',
                           timeout=60_000)
    start = time.monotonic()
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells")).first.click()
    wait_until_done(page)
    seconds = time.monotonic() - start
    page.wait_for_timeout(500)                 # images decode, widget views settle
    cells = page.evaluate(CELLS_JS)
    sources = cell_sources(lab.root / assignment / f"{assignment}.ipynb")
    assert len(cells) == len(sources), \
        f"{assignment}: the page shows {len(cells)} cells, the notebook has {len(sources)}"
    return RanNotebook(assignment, page, cells, sources, console, seconds)


@pytest.fixture(scope="module")
def notebooks(browser, lab):
    """``run(assignment)``: the notebook opened and run once, in its own page."""
    ran = {}

    def run(assignment):
        if assignment not in ran:
            ran[assignment] = open_and_run(browser, lab, assignment)
        return ran[assignment]

    yield run
    for notebook in ran.values():
        notebook.page.close()


def save_screenshot(locator_or_page, name, screenshots, docs=False):
    path = screenshots / name
    locator_or_page.screenshot(path=str(path))
    if docs:
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(path, DOCS / name)
    return path


def changed(locator, attribute, before, timeout=30.0):
    """Wait until ``locator``'s text (attribute None) or attribute differs from ``before``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = locator.inner_text() if attribute is None else locator.get_attribute(attribute)
        if now != before:
            return now
        time.sleep(0.1)
    raise AssertionError(f"still {before!r} after {timeout} s")


def wait_for_text(locator, pattern, timeout=60.0):
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} never appeared; last: {text!r}")


# ----------------------------------------------------------------------------- tests

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_runs_clean_with_plots_and_widgets(assignment, notebooks, screenshots):
    nb = notebooks(assignment)
    problems, warnings = [], []
    for cell, (kind, source) in zip(nb.cells, nb.sources):
        if kind != "code":
            continue
        where = f"{assignment} cell {cell['index'] + 1}"
        # a cell whose source is collapsed (hw4's planted bugs) shows no input prompt: its
        # output says it ran
        ran = EXECUTED.match(cell["prompt"]) or (cell["collapsed"] and cell["text"].strip())
        if not ran:
            problems.append(f"{where} did not run (prompt {cell['prompt']!r})")
        for text in cell["stderr"]:
            (problems if is_traceback(text) else warnings).append(f"{where}: {text[-1500:]}")
        if cell["errorOutputs"]:
            problems.append(f"{where} shows an error output")
        if shows_plot(source) and not cell["imagesDecoded"]:
            problems.append(f"{where} calls plt.show() but shows no image "
                            f"({cell['images']} img, none decoded)")
        if creates_widget(source) and not (cell["widgets"] and cell["widgetButtons"]):
            problems.append(f"{where} makes a widget but none is shown: "
                            f"{cell['text'][-300:]!r}")
        if "Error displaying widget" in cell["text"]:
            problems.append(f"{where}: {cell['text'][-300:]}")
    for warning in warnings:
        print("warning (allowed):", warning)
    print(f"{assignment}: Run All Cells took {nb.seconds:.1f} s")
    first_plot = next((c["index"] for c in nb.cells if c["imagesDecoded"]), None)
    if first_plot is not None:
        nb.cell(first_plot).scroll_into_view_if_needed()
    save_screenshot(nb.page, f"{assignment}.png", screenshots)
    assert not problems, "\n".join(problems)
    if any(shows_plot(src) for _, src in nb.sources):
        assert sum(c["imagesDecoded"] for c in nb.cells) > 0


def test_graph_stepper_steps_forward_and_backward(notebooks, screenshots):
    nb = notebooks("hw1_graphs")
    cell = nb.cell(nb.index_of(r"^lecture_example_stepper\(my_ops"))
    forward = cell.locator(".widget-button", has_text="forward step")
    backward = cell.locator(".widget-button", has_text="backward step")
    label = cell.locator(".widget-html-content")
    image = cell.locator("img.widget-image")
    cell.scroll_into_view_if_needed()
    assert "press forward step" in label.inner_text()
    assert backward.is_disabled(), "backward step should wait for the end of the forward pass"
    first_image = image.get_attribute("src")

    text = label.inner_text()
    forward.click()
    text = changed(label, None, text)
    assert text.startswith("forward: a = x × z = 2 × 3 = 6"), text
    image_after_step = changed(image, "src", first_image)
    for _ in range(7):                           # the other 7 operations of the example
        forward.click()
        text = changed(label, None, text)
    assert text.startswith("forward: y = s + f"), text
    backward.wait_for(state="visible")
    deadline = time.monotonic() + 10
    while backward.is_disabled() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert forward.is_disabled() and backward.is_enabled()

    for node in ("y", "s", "f"):
        backward.click()
        text = changed(label, None, text)
        assert text.startswith(f"backward through {node} ="), text
    changed(image, "src", image_after_step)
    cell.locator(".jupyter-widgets.widget-vbox").first.scroll_into_view_if_needed()
    save_screenshot(cell.locator(".jp-OutputArea-output").last, "stepper.png", screenshots,
                    docs=True)


def test_playground_slider_and_training(notebooks, screenshots):
    nb = notebooks("hw2_layers")
    cell = nb.cell(nb.index_of(r"Playground\(functions="))
    cell.scroll_into_view_if_needed()
    status = cell.locator(".widget-html-content").last
    image = cell.locator("img.widget-image")
    slider = cell.locator(".widget-slider", has=nb.page.locator(".widget-label",
                                                                has_text="learning rate"))
    readout = slider.locator(".widget-readout")
    assert "press train" in status.inner_text(), status.inner_text()
    before = readout.inner_text()
    slider.locator(".noUi-handle").focus()
    for _ in range(4):
        nb.page.keyboard.press("ArrowRight")
    after = changed(readout, None, before)
    assert float(after) > float(before), (before, after)
    wait_for_text(status, r"learning rate = [\d.]+: used from the next step", timeout=20)

    first_image = image.get_attribute("src")
    cell.locator(".widget-button", has_text="train").first.click()
    wait_for_text(status, r"training from epoch 0|epoch \d+", timeout=20)
    done = wait_for_text(status, r"epoch 300 .*done", timeout=120)
    assert "validation accuracy" in done
    accuracy = float(re.search(r"validation accuracy ([\d.]+)", done).group(1))
    assert accuracy > 0.8, done
    changed(image, "src", first_image)
    save_screenshot(cell.locator(".jp-OutputArea-output").last, "playground.png", screenshots,
                    docs=True)


def test_nbgrader_extensions_load_in_the_same_jupyterlab(lab, notebooks, screenshots):
    loaded = loaded_server_extensions(lab.log_text())
    missing = [name for name in NBGRADER_SERVER_EXTENSIONS if name not in loaded]
    assert not missing, f"this server did not load {missing}; it loaded {sorted(loaded)}"

    nb = notebooks("hw1_graphs")
    page = nb.page
    config = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data')"
                           ".textContent)")
    labextensions = [e["name"] for e in config.get("federated_extensions", [])]
    assert NBGRADER_LAB_EXTENSION in labextensions, labextensions
    assert page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).count() == 1
    activated = [m for m in nb.console if re.search(r"extension .* is activated", m)]
    for part in ("assignment-list", "formgrader", "validate-assignment"):
        assert any(part in m for m in activated), (part, activated)

    validate = page.locator(".jp-NotebookPanel-toolbar .validate-button")
    assert validate.count() == 1, "no Validate button in the notebook's toolbar"
    validate.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible", timeout=120_000)
    text = wait_for_text(dialog, r"Success|fail|error|Error", timeout=120)
    save_screenshot(page, "nbgrader_validate.png", screenshots)
    assert "Success! Your notebook passes all the tests." in text, text[-2000:]
    dialog.locator("button", has_text=re.compile("OK|Ok|Close")).first.click()


def test_a_missing_chromium_fails_with_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(browser_support.os, "geteuid", lambda: 1000)
    with pytest.raises(BrowserSetupError, match=r"not root.*apt-get install -y chromium"):
        ensure_chromium()
