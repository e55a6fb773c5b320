"""Sums the test cases in Bazel's test.xml files; prints 'N passed, N failed'.

Usage: count_test_results.py TESTLOGS_DIR BAZEL_EXIT_STATUS [TARGETS_FILE]
With TARGETS_FILE (one test label per line: the tests this run asked for),
only those targets' results count, and a target without results counts as
a failure; results of targets no longer in the tree are ignored. Exits
non-zero when any case failed or Bazel could not build the tests.
"""
import os
import re
import sys
import xml.etree.ElementTree as ElementTree


def target_folders(logs, targets_file):
    """The testlogs folders of the labels in `targets_file`, and the labels
    that have none."""
    folders, missing = [], []
    for line in open(targets_file):
        label = line.strip()
        if not label.startswith("//"):
            continue
        package, _, name = label[2:].partition(":")
        folder = os.path.join(logs, package, name)
        if os.path.isdir(folder):
            folders.append(folder)
        else:
            missing.append(label)
    return folders, missing


def main():
    logs, status = sys.argv[1], int(sys.argv[2])
    passed = failed = skipped = 0
    roots = [logs]
    if len(sys.argv) > 3:
        roots, missing = target_folders(logs, sys.argv[3])
        for label in missing:
            failed += 1
            print("FAILED: %s (no results: not built or not run)" % label)
    for root, dirs, files in (entry for top in roots
                              for entry in os.walk(top, followlinks=True)):
        # Left over from manual --runs_per_test runs; tools/test.sh runs each
        # test once and its results are in the test's own folder.
        dirs[:] = [d for d in dirs if not re.fullmatch(r"run_\d+_of_\d+", d)]
        if "test.xml" not in files:
            continue
        tree = ElementTree.parse(os.path.join(root, "test.xml"))
        for case in tree.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                print("FAILED: %s (%s)" % (case.get("name"), os.path.relpath(root, logs)))
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    if status == 1 or (status not in (0, 3) and failed == 0):
        print("bazel could not build or run the tests (exit status %d)" % status)
        failed += 1
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed or status != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
