# lit configuration for dlc's pass and importer tests.
import os

import lit.formats

config.name = "dlc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.environ.get("DLC_LIT_EXEC_ROOT", "/tmp/dlc-lit")

# dlc-opt and dlc from the build, FileCheck/not from LLVM 19.
tool_dirs = [os.environ["DLC_TOOL_DIRS"]] if os.environ.get("DLC_TOOL_DIRS") else []
config.environment["PATH"] = os.pathsep.join(
    tool_dirs + ["/usr/lib/llvm-19/bin", os.environ.get("PATH", "/usr/bin:/bin")])
for name in ("HOME", "TMPDIR"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
