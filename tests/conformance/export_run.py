#!/usr/bin/python3
"""Runs code that `convscope export --pytorch` wrote, as printed, in real PyTorch.

    /usr/bin/python3 tests/conformance/export_run.py < cases.json > results.json

cases.json: [{"key", "code"}]. Each code runs unchanged in a fresh namespace
(it builds `model`, feeds `x` and prints the output shape); every case runs in
this one process, since importing torch costs seconds and a case milliseconds.
For each case the result records:

  {"key", "ok", "printed": [stdout lines],
   "modules": {child module name: output shape},   (each child's first call)
   "outputs": [shape, ...],                         (what model(x) returned)
   "error_type", "error_text": first line | null,
   "failing_module": the innermost child running when the exception escaped | null,
   "failing_variable": in a forward() of the exported code, the variable the
                       failing line assigns (`cat3 = torch.cat(...)`) | null}

Module shapes come from global forward hooks (torch.nn.modules.module.
register_module_forward_hook), so the exported code needs no change to be
observed. Run with Debian's interpreter: /usr/bin/python3 (python3-torch).
"""
import contextlib
import io
import json
import re
import sys
import traceback
import warnings

import torch
from torch.nn.modules import module as torch_module

warnings.filterwarnings("ignore")
torch.set_num_threads(1)


def shape_of(value):
    if isinstance(value, torch.Tensor):
        return list(value.shape)
    if isinstance(value, (list, tuple)):
        return [shape_of(v) for v in value]
    return None


def run(key, code):
    calls = []     # (module, output shape), in call order
    running = []   # modules entered and not yet left
    filename = f"<export:{key}>"

    def pre(module, args):
        running.append(module)

    def post(module, args, output):
        running.pop()
        calls.append((module, shape_of(output)))

    handles = [torch_module.register_module_forward_pre_hook(pre), torch_module.register_module_forward_hook(post)]
    namespace = {"__name__": "__export__"}
    out = io.StringIO()
    result = {"key": key, "ok": True, "error_type": None, "error_text": None,
              "failing_module": None, "failing_variable": None}
    try:
        with contextlib.redirect_stdout(out), torch.no_grad():
            exec(compile(code, filename, "exec"), namespace)
    except Exception as e:  # noqa: BLE001 - the framework's error is what is compared
        result["ok"] = False
        result["error_type"] = type(e).__name__
        result["error_text"] = str(e).splitlines()[0] if str(e) else ""
        lines = code.splitlines()
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == filename]
        # A helper the code defines (channel_shuffle) raised: the forward() line that called it.
        while frames and frames[-1].name == "channel_shuffle":
            frames.pop()
        if frames and frames[-1].name == "forward":
            match = re.match(r"\s*(\w+) = ", lines[frames[-1].lineno - 1])
            result["failing_variable"] = match.group(1) if match else None
        result["_failing"] = running[-1] if running else None
    finally:
        for h in handles:
            h.remove()
    model = namespace.get("model")
    names = {m: n for n, m in model.named_modules()} if isinstance(model, torch.nn.Module) else {}
    result["modules"] = {}
    result["outputs"] = None
    for module, shape in calls:
        if module is model:
            result["outputs"] = shape if shape and isinstance(shape[0], list) else [shape]
        elif module in names and names[module] not in result["modules"]:
            result["modules"][names[module]] = shape
    failing = result.pop("_failing", None)
    if failing is not None and failing is not model:
        result["failing_module"] = names.get(failing)
    result["printed"] = out.getvalue().splitlines()
    return result


def main():
    cases = json.load(sys.stdin)
    json.dump([run(c["key"], c["code"]) for c in cases], sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
