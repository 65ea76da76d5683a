"""The README's quick start runs as written."""
import contextlib
import io
import os


def test_readme_quick_start_runs():
    path = os.path.join(os.path.dirname(__file__), "..", "README.md")
    text = open(path).read()
    code = text.split("```python")[1].split("```")[0]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, "README.md", "exec"), {})
    out = buf.getvalue()
    assert "9.385426" in out and "13.976972" in out


def test_demo_runs():
    from cotan import demo
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        demo.main(fast=True)
    assert "9.3854" in buf.getvalue()
