"""Without numpy the package works with plain lists (the import is blocked
in a child interpreter)."""
import os
import subprocess
import sys
import unittest

import _util

CHILD = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "pandas"):
            raise ImportError("blocked for the test: " + name)
sys.meta_path.insert(0, Block())
import scope
s = scope.SeriesSet()
x = s.add("m", {"a": "b"})
x.extend([1, 2, 3], [0.5, 1.5, 2.5])
x.append(4, 3.5)
assert x.timestamps == [1, 2, 3, 4], x.timestamps
assert x.values == [0.5, 1.5, 2.5, 3.5], x.values
assert s.to_records()[0] == (1, "m", {"a": "b"}, 0.5)
try:
    s.to_pandas()
except ImportError as e:
    assert "pandas" in str(e)
else:
    raise AssertionError("to_pandas without pandas")
with scope.Recorder([scope.Proc()], interval=0.01) as rec:
    rec.wait() if False else None
assert isinstance(rec.series["scope_recorder_sample_seconds"].values, list)
assert "numpy" not in sys.modules
print("ok", len(s.to_string("csv").splitlines()))
"""


class NoNumpy(unittest.TestCase):
    def test_lists_without_numpy(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.path.dirname(_util.HERE)
        r = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "ok 5")


if __name__ == "__main__":
    unittest.main()
