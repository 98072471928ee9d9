"""Run the tests/k8s unittest suites and end with one plain summary line for CI."""

import sys
import unittest
from pathlib import Path

here = Path(__file__).resolve().parent
suite = unittest.defaultTestLoader.discover(str(here), pattern="test_*.py", top_level_dir=str(here))
result = unittest.TextTestRunner(verbosity=2).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
skipped = len(result.skipped)
passed = result.testsRun - failed - skipped
print(f"k8s: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(0 if failed == 0 else 1)
