"""Runs mlir-tblgen (Debian's, from mlir-19-tools) from genrules."""

def mlir_tblgen(name, td_file, outs, deps = []):
    """Generates one file per (flags, output) pair in `outs` from `td_file`.

    Includes resolve against the workspace root and LLVM's include folder, so a
    .td file includes another as "compiler/Foo.td" or "mlir/IR/OpBase.td".
    """
    generated = []
    for flags, out in outs:
        rule_name = name + "_" + out.replace("/", "_").replace(".", "_")
        native.genrule(
            name = rule_name,
            srcs = [td_file] + deps,
            outs = [out],
            cmd = ("/usr/lib/llvm-19/bin/mlir-tblgen %s " +
                   "-I/usr/lib/llvm-19/include -I. $(location %s) -o $@") % (flags, td_file),
        )
        generated.append(out)
    native.filegroup(name = name, srcs = generated)
