"""Sums the test cases in Bazel's test.xml files; prints 'N passed, N failed'.

Usage: count_test_results.py TESTLOGS_DIR BAZEL_EXIT_STATUS
Exits non-zero when any case failed or Bazel could not build the tests.
"""
import os
import re
import sys
import xml.etree.ElementTree as ElementTree


def main():
    logs, status = sys.argv[1], int(sys.argv[2])
    passed = failed = skipped = 0
    for root, dirs, files in os.walk(logs, followlinks=True):
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
