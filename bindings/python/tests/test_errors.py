"""Errors raise the exception class of their code, carrying the C message."""
import os
import threading
import unittest

import _util  # noqa: F401

import scope
from scope import _lib, errors


class Mapping(unittest.TestCase):
    def test_every_code_has_its_class(self):
        codes = _lib.TABLES.enums["scope_error_code"]
        classes = set()
        for name, code in codes.items():
            if code == 0:
                continue
            cls = scope.error_class(code)
            self.assertIsNot(cls, scope.ScopeError, name)
            self.assertTrue(issubclass(cls, scope.ScopeError))
            self.assertEqual(cls.code, code)
            self.assertEqual(cls.name, name)
            self.assertEqual(scope.error_name(code), name)
            classes.add(cls)
        self.assertEqual(len(classes), len(codes) - 1)
        self.assertIs(scope.error_class(-999), scope.ScopeError)
        self.assertTrue(issubclass(scope.InvalidArgument, ValueError))
        self.assertTrue(issubclass(scope.NotFound, LookupError))
        self.assertTrue(issubclass(scope.OutOfMemory, MemoryError))
        self.assertEqual(set(errors.__all__) - set(scope.__all__), set())


class Raised(unittest.TestCase):
    def expect(self, cls, fn, *args, contains=None):
        with self.assertRaises(cls) as cm:
            fn(*args)
        e = cm.exception
        code, err, msg = scope.last_error()
        self.assertIs(type(e), cls)
        self.assertEqual(e.code, cls.code)
        self.assertEqual(code, cls.code)
        self.assertEqual(e.message, msg)  # the C library's own message
        self.assertTrue(e.message)
        self.assertIn(e.message, str(e))
        self.assertIn(cls.name, str(e))
        if contains:
            self.assertIn(contains, e.message)
        return e

    def test_invalid_argument(self):
        s = scope.SeriesSet()
        self.expect(scope.InvalidArgument, s.add, "bad name", contains="bad name")
        self.expect(scope.InvalidArgument, s.add, "m", {"__x": "1"})
        self.expect(scope.InvalidArgument, lambda: scope.Recorder(interval=1e-6), contains="1 ms")
        self.expect(scope.InvalidArgument, scope.Proc, -5, contains="-5")

    def test_not_found(self):
        s = scope.SeriesSet()
        self.expect(scope.NotFound, s.find, "nothing")
        e = self.expect(scope.NotFound, scope.export, s, "/nonexistent-dir/x.csv",
                        contains="/nonexistent-dir/x.csv")
        self.assertEqual(e.errno, 2)  # ENOENT from the system call

    def test_gone(self):
        p = scope.Proc(pid=4194000)
        self.expect(scope.Gone, p.start, contains="4194000")

    def test_state(self):
        p = scope.Proc()
        self.expect(scope.StateError, p.sample)
        r = scope.Recorder()
        self.expect(scope.StateError, r.wait)

    def test_already_exists_and_limit(self):
        p = scope.Proc()
        r = scope.Recorder([p])
        self.expect(scope.AlreadyExists, r.add, p)
        for i in range(16):
            r.mark("k%d" % i, "v")
        self.expect(scope.LimitExceeded, r.mark, "k16", "v", contains="16")
        r.close()

    def test_io_error(self):
        s = scope.SeriesSet()
        s.add("m").extend(range(50000), range(50000))
        with open("/dev/full", "w") as f:
            e = self.expect(scope.ScopeIOError, scope.export, s, f, "csv")
        self.assertEqual(e.errno, 28)  # ENOSPC from the write

    @unittest.skipIf(os.geteuid() == 0, "root may write anywhere")
    def test_permission(self):
        s = scope.SeriesSet()
        self.expect(scope.PermissionDenied, scope.export, s, "/proc/version.csv")

    def test_errors_are_per_thread(self):
        out = {}

        def worker():
            try:
                scope.SeriesSet().add("from thread")
            except scope.InvalidArgument as e:
                out["msg"] = e.message

        scope.clear_error()
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        self.assertIn("from thread", out["msg"])
        self.assertEqual(scope.last_error(), (0, 0, ""))

    def test_python_side_errors(self):
        with self.assertRaises(scope.InvalidArgument):
            scope.SeriesSet().add("m", {"k": "a\0b"})
        with self.assertRaises(scope.InvalidArgument):
            scope.SeriesSet().slice("yesterday")
        with self.assertRaises(TypeError):
            scope.Recorder().add("not a collector")
        s = scope.SeriesSet()
        s.close()
        with self.assertRaises(ValueError):
            s.add("m")


if __name__ == "__main__":
    unittest.main()
