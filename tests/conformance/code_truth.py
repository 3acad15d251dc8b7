#!/usr/bin/python3
"""What real PyTorch does with a model file of the code corpus (tests/fixtures/code).

    /usr/bin/python3 tests/conformance/code_truth.py FILE.py --input 1x3x100x100 [--model NAME]
    /usr/bin/python3 tests/conformance/code_truth.py --cases tests/fixtures/code/cases.json

The first form prints one JSON object; the second reads a list of cases
[{"file" (relative to the list's directory), "input", "model"?, ...}] and
prints a JSON array, one object per case, one event per line, from one
process (importing torch costs seconds, a case milliseconds). Its output for
the corpus's cases.json is committed as tests/fixtures/code/truth.json, for
tests that run without torch; code_import.test.mjs checks that it is current:

    /usr/bin/python3 tests/conformance/code_truth.py --cases tests/fixtures/code/cases.json \
        > tests/fixtures/code/truth.json

The file is imported as a module named "corpus_model", so its
`if __name__ == "__main__":` block does not run (its top level does, with its
prints sent to stderr). The model is built by the file's own instantiation:

  MODEL RULE: the last call, at the top level of the file or directly inside
  its `if __name__ == "__main__":` block, of a class or function the file
  defines (`net = Net()`, `model = UNet(n_channels=3, n_classes=2)`,
  `model = resnet18(num_classes=10)`), evaluated again with its arguments as
  written, in the module's namespace. `--model NAME` picks the last such call
  of NAME instead, or `NAME()` when the file never calls it.

The model stays in training mode (PyTorch's default; no corpus file calls
.eval()), and torch.zeros(input) runs through it under torch.no_grad(). Recorded:

  "events": every leaf module call and every torch function the file calls
            directly, in execution order:
            {"kind": "module", "name": path as named_modules() gives it,
             "line": the line of the file that called it (the innermost frame
             in the file), "output": shape}
            {"kind": "function", "name": the op (cat, pad, relu, max_pool2d,
             view, add, add_, mul, flatten, expand_as, ...), "line", "output"}
            A function counts when the first frame outside torch's own Python
            wrappers (torch/*, but not torch/nn/modules/*) is the file: the ops
            a module's forward() runs inside torch are not the file's.
            Only tensor results are recorded (x.size() and x.shape are not).
  "output": the model's output shape (null on failure)
  "error":  null, or {"type", "message": the exception's first line verbatim,
            "line": the innermost line of the file in the traceback, "code":
            that line's text, "module": the leaf module running when it was
            raised (null if none), "op": the function the file called that
            raised (null if none)}
Lines are 1-based, as Python's tracebacks count them.
"""
import ast
import contextlib
import importlib.util
import json
import os
import sys
import traceback
import warnings

import torch
from torch.nn.modules import module as torch_module
from torch.overrides import TorchFunctionMode

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
TORCH_MODULES_DIR = os.path.join(TORCH_DIR, "nn", "modules") + os.sep


def shape_of(value):
    if isinstance(value, torch.Tensor):
        return list(value.shape)
    if isinstance(value, (list, tuple)):
        return [shape_of(v) for v in value]
    return None


def is_main_guard(test):
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def top_level_calls(tree):
    """The calls of classes and functions the file defines, as statements of
    the top level or of the __main__ block, in source order."""
    defined = {s.name for s in tree.body if isinstance(s, (ast.ClassDef, ast.FunctionDef))}
    calls = []

    def visit(statements):
        for s in statements:
            if isinstance(s, ast.If) and is_main_guard(s.test):
                visit(s.body)
                continue
            value = s.value if isinstance(s, (ast.Assign, ast.AnnAssign, ast.Expr)) else None
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in defined:
                calls.append(value)

    visit(tree.body)
    return calls, defined


def model_call(path, source, name):
    """The call expression that builds the model (the MODEL RULE above)."""
    tree = ast.parse(source, path)
    calls, defined = top_level_calls(tree)
    if name is not None:
        if name not in defined:
            raise SystemExit(f"{path}: defines no class or function {name!r}")
        calls = [c for c in calls if c.func.id == name]
        if not calls:
            return ast.fix_missing_locations(ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[], keywords=[]))
    if not calls:
        raise SystemExit(f"{path}: never calls a class or function it defines at the top level; pass --model")
    return calls[-1]


def import_file(path):
    spec = importlib.util.spec_from_file_location("corpus_model", path)
    module = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(sys.stderr):
        spec.loader.exec_module(module)
    return module


def direct_line(frame, path):
    """The file's line when the file itself made the call that reached
    `frame` through torch's Python wrappers only; None otherwise."""
    while frame is not None:
        name = frame.f_code.co_filename
        if name == path:
            return frame.f_lineno
        if name.startswith(TORCH_DIR) and not name.startswith(TORCH_MODULES_DIR):
            frame = frame.f_back
            continue
        return None
    return None


def innermost_line(frame, path):
    while frame is not None:
        if frame.f_code.co_filename == path:
            return frame.f_lineno
        frame = frame.f_back
    return None


class FileCalls(TorchFunctionMode):
    """Records the torch functions the file calls directly (PyTorch 1.13 pops
    the mode while __torch_function__ runs, so the ops inside a call are not
    seen again)."""

    def __init__(self, path, events):
        super().__init__()
        self.path = path
        self.events = events
        self.failed = None  # (op, line) of a direct call that raised

    def __torch_function__(self, func, types, args=(), kwargs=None):
        try:
            out = func(*args, **(kwargs or {}))
        except Exception:
            line = direct_line(sys._getframe(1), self.path)
            if line is not None and self.failed is None:
                self.failed = (func.__name__, line)
            raise
        if isinstance(out, torch.Tensor):
            line = direct_line(sys._getframe(1), self.path)
            if line is not None:
                event = {"kind": "function", "name": func.__name__, "line": line, "output": list(out.shape)}
                # torch.cat of a one-tensor list returns a copy of it: no
                # layer of ConvScope's (its contract's concat merges two or more).
                tensors = args[0] if args else (kwargs or {}).get("tensors")
                if func.__name__ == "cat" and isinstance(tensors, (list, tuple)) and len(tensors) == 1:
                    event["passes_through"] = True
                self.events.append(event)
        return out


def run(path, input_shape, name=None):
    path = os.path.abspath(path)
    with open(path, encoding="utf-8") as f:
        source = f.read()
    lines = source.splitlines()
    call = model_call(path, source, name)
    module = import_file(path)
    with contextlib.redirect_stdout(sys.stderr):
        model = eval(compile(ast.Expression(call), path, "eval"), vars(module))  # noqa: S307 - the corpus's own line
    if not isinstance(model, torch.nn.Module):
        raise SystemExit(f"{path}: {ast.unparse(call)} is not an nn.Module")
    paths = {m: p for p, m in model.named_modules()}
    leaves = {m for m in paths if not any(True for _ in m.children())}

    events = []
    running = []   # modules entered and not yet left (the innermost last)
    pending = {}   # leaf module -> the lines of its calls in progress

    def pre(mod, args):
        running.append(mod)
        if mod in leaves:
            pending.setdefault(mod, []).append(innermost_line(sys._getframe(1), path))

    def post(mod, args, output):
        running.pop()
        if mod in leaves:
            events.append({"kind": "module", "name": paths[mod], "line": pending[mod].pop(),
                           "output": shape_of(output)})

    result = {"file": os.path.basename(path), "model": call.func.id, "constructor": ast.unparse(call),
              "input": list(input_shape), "torch": torch.__version__, "training": model.training,
              "events": events, "output": None, "error": None}
    handles = [torch_module.register_module_forward_pre_hook(pre),
               torch_module.register_module_forward_hook(post)]
    mode = FileCalls(path, events)
    try:
        with contextlib.redirect_stdout(sys.stderr), torch.no_grad(), mode:
            result["output"] = shape_of(model(torch.zeros(*input_shape)))
    except Exception as e:  # noqa: BLE001 - the framework's error is what is recorded
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == path]
        line = frames[-1].lineno if frames else None
        leaf = running[-1] if running and running[-1] in leaves else None
        result["error"] = {
            "type": type(e).__name__,
            "message": str(e).splitlines()[0] if str(e) else "",
            "line": line,
            "code": lines[line - 1].strip() if line else None,
            "module": paths[leaf] if leaf is not None else None,
            "op": mode.failed[0] if mode.failed and mode.failed[1] == line else None,
        }
    finally:
        for h in handles:
            h.remove()
    return result


def parse_shape(text):
    try:
        shape = [int(d) for d in text.lower().split("x")]
    except ValueError:
        raise SystemExit(f"--input {text!r}: write the shape like 1x3x100x100")
    if not shape or any(d <= 0 for d in shape):
        raise SystemExit(f"--input {text!r}: every dimension must be a positive integer")
    return shape


def dumps_results(results):
    """A JSON array with one line per case field and per event, so that a
    change to the corpus shows as a readable diff of truth.json."""
    cases = []
    for r in results:
        fields = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in r.items() if k != "events"]
        events = ",\n".join(f"   {json.dumps(e)}" for e in r["events"])
        fields.append(f'  "events": [\n{events}\n  ]' if events else '  "events": []')
        cases.append(" {\n" + ",\n".join(fields) + "\n }")
    return "[\n" + ",\n".join(cases) + "\n]\n"


def main(argv):
    if len(argv) == 2 and argv[0] == "--cases":
        with open(argv[1], encoding="utf-8") as f:
            cases = json.load(f)
        here = os.path.dirname(os.path.abspath(argv[1]))
        sys.stdout.write(dumps_results([run(os.path.join(here, c["file"]), c["input"], c.get("model")) for c in cases]))
        return
    args = list(argv)
    options = {}
    for flag in ("--input", "--model"):
        if flag in args:
            i = args.index(flag)
            if i + 1 >= len(args):
                raise SystemExit(f"{flag} needs a value")
            options[flag] = args[i + 1]
            del args[i:i + 2]
    if len(args) != 1 or "--input" not in options:
        raise SystemExit(__doc__.split("\n\n")[1])
    json.dump(run(args[0], parse_shape(options["--input"]), options.get("--model")), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
